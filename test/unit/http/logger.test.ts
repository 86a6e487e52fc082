import t from 'tap'
import { createLogger, isLogLevel } from '../../../src/http/logger.js'

function capture(level: Parameters<typeof createLogger>[0]['level']) {
  const lines: string[] = []
  return { lines, logger: createLogger({ level, stream: { write: (s: string) => lines.push(s) } }) }
}

t.test('createLogger() writes ISO-time, level and message lines with key=value fields', async (t) => {
  const { lines, logger } = capture('info')
  logger.info('Listening', { url: 'http://127.0.0.1:8080', transport: 'uws', note: 'two words', n: 3, skip: undefined })
  t.equal(lines.length, 1)
  t.match(
    lines[0],
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  Listening url=http:\/\/127\.0\.0\.1:8080 transport=uws note="two words" n=3\n$/,
  )
})

t.test('createLogger() drops lines below its level', async (t) => {
  const { lines, logger } = capture('warn')
  logger.debug('d')
  logger.info('i')
  logger.warn('w')
  logger.error('e')
  t.same(
    lines.map((l) => l.split(' ')[1]),
    ['WARN', 'ERROR'],
  )
  const silent = capture('silent')
  silent.logger.error('nothing')
  t.same(silent.lines, [])
})

t.test('createLogger() appends an error stack on indented lines', async (t) => {
  const { lines, logger } = capture('debug')
  logger.error('Failed', { error: new Error('boom') })
  t.match(lines[0], /ERROR Failed error="boom"\n  Error: boom\n\s+at /)
})

t.test('isLogLevel() accepts the five levels only', async (t) => {
  t.ok(['silent', 'error', 'warn', 'info', 'debug'].every(isLogLevel))
  t.notOk(isLogLevel('trace'))
  t.notOk(isLogLevel('toString'))
})

t.test(
  'createLogger({ batch }) writes info lines once per event-loop turn, warnings at once and in order',
  async (t) => {
    const writes: string[] = []
    const logger = createLogger({ level: 'debug', stream: { write: (s: string) => writes.push(s) }, batch: true })
    logger.info('GET /v1/models 200')
    logger.debug('detail')
    t.same(writes, [], 'batched')
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(writes.length, 1, 'one write for the turn')
    t.match(writes[0], /INFO  GET \/v1\/models 200\n.*DEBUG detail\n$/)
    logger.info('before')
    logger.error('failed')
    t.equal(writes.length, 2, 'an error goes out at once')
    t.match(writes[1], /INFO  before\n.*ERROR failed\n$/, 'after the lines batched before it')
    logger.info('last')
    logger.flush()
    t.match(writes[2], /INFO  last\n$/)
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(writes.length, 3, 'nothing is written twice')
  },
)
