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

t.test(
  'createLogger({ format: json }) writes pino lines: numeric level, epoch time, pid, hostname, msg last',
  async (t) => {
    const lines: string[] = []
    const logger = createLogger({ level: 'debug', format: 'json', stream: { write: (s: string) => lines.push(s) } })
    const before = Date.now()
    logger.debug('d')
    logger.info('Listening', { url: 'http://127.0.0.1:8080', n: 3, skip: undefined, big: 2n })
    logger.warn('w')
    logger.error('Failed', { req_id: 'req_1', error: new TypeError('boom "quoted"\nline') })
    const parsed = lines.map((line) => {
      t.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), 'one line each')
      return JSON.parse(line) as Record<string, unknown>
    })
    t.same(
      parsed.map((p) => p.level),
      [20, 30, 40, 50],
    )
    t.same(Object.keys(parsed[1] ?? {}), ['level', 'time', 'pid', 'hostname', 'url', 'n', 'big', 'msg'])
    t.match(parsed[1], { msg: 'Listening', url: 'http://127.0.0.1:8080', n: 3, big: '2', pid: process.pid })
    t.ok((parsed[1]?.time as number) >= before, 'time in epoch ms')
    t.match(parsed[3], {
      msg: 'Failed',
      req_id: 'req_1',
      error: { type: 'TypeError', message: 'boom "quoted"\nline', stack: /TypeError: boom/ },
    })
  },
)

t.test(
  'createLogger() writes request lines as text or as JSON with the route pattern and the masked key',
  async (t) => {
    const entry = {
      method: 'GET',
      path: '/v1/threads/thread_abc',
      route: '/v1/threads/:thread_id',
      status: 200,
      durationMs: 4,
      bytes: 120,
      requestId: 'req_9',
      key: 'sk-...abcd',
      outcome: '' as const,
    }
    const text: string[] = []
    createLogger({ level: 'info', stream: { write: (s: string) => text.push(s) } }).request(entry)
    t.match(text[0], /Z INFO  GET \/v1\/threads\/thread_abc 200 4ms 120B req_9 key=sk-\.\.\.abcd\n$/)
    const json: string[] = []
    const logger = createLogger({ level: 'info', format: 'json', stream: { write: (s: string) => json.push(s) } })
    logger.request(entry)
    logger.request({ ...entry, route: null, path: '/nope', key: null, status: 404, outcome: 'aborted' })
    t.match(JSON.parse(json[0] ?? ''), {
      level: 30,
      req_id: 'req_9',
      method: 'GET',
      route: '/v1/threads/:thread_id',
      status: 200,
      duration_ms: 4,
      bytes: 120,
      key: 'sk-...abcd',
      msg: 'request completed',
    })
    t.notOk('path' in JSON.parse(json[0] ?? ''), 'a matched request logs its route, not its path')
    t.match(JSON.parse(json[1] ?? ''), { route: null, path: '/nope', status: 404, outcome: 'aborted' })
    const quiet: string[] = []
    createLogger({ level: 'warn', format: 'json', stream: { write: (s: string) => quiet.push(s) } }).request(entry)
    t.same(quiet, [], 'request lines are info')
  },
)
