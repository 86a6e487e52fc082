import type { SseEvent } from './sse.js'

const PING: SseEvent = { comment: 'ping' }
const IDLE = Symbol('idle')

function idleAfter<T>(pending: Promise<T>, ms: number): Promise<T | typeof IDLE> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const idle = new Promise<typeof IDLE>((resolve) => {
    timer = setTimeout(resolve, ms, IDLE)
  })
  return Promise.race([pending, idle]).finally(() => clearTimeout(timer))
}

/**
 * Passes `events` through and adds a `: ping` comment whenever the source has been idle for `intervalMs`,
 * so proxies and clients keep the connection open while a model loads or a run waits.
 */
export async function* withHeartbeat(events: AsyncIterable<SseEvent>, intervalMs: number): AsyncGenerator<SseEvent> {
  if (!(intervalMs > 0)) {
    yield* events
    return
  }
  const iterator = events[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<SseEvent>> | null = null
  let finished = false
  try {
    while (true) {
      pending ??= iterator.next()
      const result = await idleAfter(pending, intervalMs)
      if (result === IDLE) {
        yield PING
        continue
      }
      pending = null
      if (result.done) {
        finished = true
        return
      }
      yield result.value
    }
  } catch (error) {
    finished = true // a source that threw is already closed
    throw error
  } finally {
    if (!finished) {
      if (pending) {
        // The source is busy in next(): return() would wait for it, so ask and move on; the request's
        // abort signal is what makes the producer stop promptly
        pending.catch(() => {})
        iterator.return?.()?.catch(() => {})
      } else {
        await iterator.return?.()
      }
    }
  }
}
