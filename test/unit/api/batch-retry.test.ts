import t from 'tap'
import { retryDelayMs, waitToRetry } from '../../../src/api/batch-retry.js'

const reply = (status: number, headers: Record<string, string> = {}) => ({ status, headers, body: '{}' })

t.test('retryDelayMs() retries busy, restarting and rate-limited replies with a doubling back-off', async (t) => {
  t.equal(retryDelayMs(reply(503), 0), 250)
  t.equal(retryDelayMs(reply(503), 2), 1000)
  t.equal(retryDelayMs(reply(429, { 'retry-after': '2' }), 0), 2000, 'at least Retry-After')
  t.equal(retryDelayMs(reply(503, { 'retry-after-ms': '1500', 'retry-after': '2' }), 0), 1500)
  t.equal(retryDelayMs(reply(503), 40), 30_000, 'capped')
  t.equal(retryDelayMs(reply(503, { 'retry-after': 'soon' }), 0), 250, 'a junk Retry-After is ignored')
})

t.test('retryDelayMs() gives null for final replies', async (t) => {
  for (const status of [200, 400, 404, 413, 500]) t.equal(retryDelayMs(reply(status), 0), null, `${status}`)
  t.equal(retryDelayMs(reply(503, { 'x-should-retry': 'false' }), 0), null, 'x-should-retry: false')
})

t.test('waitToRetry() returns when the stop signal aborts, even while the engine is not ready', async (t) => {
  const stop = new AbortController()
  let asked = () => {}
  const readyAsked = new Promise<void>((resolve) => (asked = resolve))
  const waiting = waitToRetry(0, stop.signal, () => {
    asked()
    return new Promise<void>(() => {}) // never ready
  })
  await readyAsked
  t.pass('after the back-off it waits for the engine')
  stop.abort()
  await waiting
  t.pass('the stop ended the wait')
})
