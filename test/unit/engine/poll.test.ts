import t from 'tap'
import { EngineError } from '../../../src/engine/errors.js'
import { LOST_RESULT, pollResults } from '../../../src/engine/host/poll.js'
import type { WorkerHost } from '../../../src/engine/host/worker-host.js'

type Answer = { data: unknown; has_more: boolean } | EngineError

/**
 * A worker host that answers get_result from a script, one answer per call, each call resolved only when the test
 * says so: the log shows which calls were in flight when the caller consumed a result.
 */
function scriptedHost(answers: Answer[]) {
  const log: string[] = []
  const waiting: Array<() => void> = []
  let arrived: (() => void) | null = null // wakes answerOne() when it waits for a call
  let next = 0
  const host = {
    dead: false,
    action(action: string, message: Record<string, unknown>) {
      log.push(`${action} ${String(message.req_id)}`)
      if (action !== 'get_result') return Promise.resolve({ success: true })
      const answer = answers[next++] ?? { data: null, has_more: false }
      return new Promise((resolve, reject) => {
        waiting.push(() => {
          if (answer instanceof EngineError) reject(answer)
          else resolve({ data_json: JSON.stringify(answer.data), has_more: answer.has_more, is_error: false })
        })
        arrived?.()
      })
    },
  }
  /** Answers the oldest call in flight, once there is one. */
  const answerOne = async () => {
    if (waiting.length === 0) await new Promise<void>((resolve) => (arrived = resolve))
    arrived = null
    waiting.shift()!()
  }
  return { host: host as unknown as WorkerHost, log, answerOne, inFlight: () => waiting.length }
}

t.test('the next poll is in flight while the caller handles a result', async (t) => {
  const { host, log, answerOne, inFlight } = scriptedHost([
    { data: { content: 'a' }, has_more: true },
    { data: { content: 'b' }, has_more: true },
    { data: { content: 'c', stop: true }, has_more: false },
  ])
  const results = pollResults(host, 7)
  const seen: Array<{ item: unknown; inFlight: number }> = []
  for (let i = 0; i < 3; i++) {
    const next = results.next()
    await answerOne()
    seen.push({ item: (await next).value, inFlight: inFlight() })
  }
  t.ok((await results.next()).done, 'the end needs no further answer')
  t.same(
    seen.map((s) => s.item),
    [{ content: 'a' }, { content: 'b' }, { content: 'c', stop: true }],
  )
  t.same(
    seen.map((s) => s.inFlight),
    [1, 1, 0],
    'one poll ahead while streaming, none after the end',
  )
  t.same(log, ['get_result 7', 'get_result 7', 'get_result 7'], 'no poll past the end, no cancel of a finished request')
})

// the poll sent ahead answers with a result, or fails (which must not become an unhandled rejection)
for (const [name, ahead] of [
  ['answers', { data: { content: 'b' }, has_more: true }],
  ['fails', new EngineError('closed', 'worker gone')],
] as const) {
  t.test(`stopping early drains the poll sent ahead (it ${name}), then cancels`, async (t) => {
    const { host, log, answerOne } = scriptedHost([{ data: { content: 'a' }, has_more: true }, ahead])
    const results = pollResults(host, 3)
    const first = results.next()
    await answerOne()
    t.same((await first).value, { content: 'a' })
    const stopped = results.return(undefined)
    await answerOne()
    await stopped
    t.same(log, ['get_result 3', 'get_result 3', 'cancel 3'], 'the cancel follows the poll in flight')
  })
}

t.test('a result lost to invalid UTF-8 is replaced and polling goes on', async (t) => {
  const { host, answerOne } = scriptedHost([
    new EngineError('rejected', '[json.exception.type_error.316] invalid UTF-8 byte at index 3'),
    { data: { content: 'z' }, has_more: false },
  ])
  const results = pollResults(host, 5)
  const items: unknown[] = []
  const consume = (async () => {
    for await (const item of results) items.push(item)
  })()
  await answerOne()
  await answerOne()
  await consume
  t.same(items, [LOST_RESULT, { content: 'z' }])
})

t.test('an abort before a result cancels the request after its poll', async (t) => {
  const { host, log, answerOne } = scriptedHost([{ data: { content: 'a' }, has_more: true }])
  const controller = new AbortController()
  const results = pollResults(host, 6, controller.signal)
  const first = results.next()
  await answerOne()
  await first
  controller.abort()
  const second = results.next()
  await answerOne()
  await t.rejects(second, { code: 'aborted' })
  t.same(log, ['get_result 6', 'get_result 6', 'cancel 6'])
})
