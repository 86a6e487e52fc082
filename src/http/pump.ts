import { encodeSse, type SseEvent } from './sse.js'

/** What a transport implements to stream a reply: bytes out, backpressure and abort in. */
export interface ByteSink {
  /** True once the client has gone; never write after that. */
  readonly aborted: boolean
  /** Queues a chunk; `false` means it was accepted but buffered: wait for `drained()` before the next write. */
  write(chunk: Uint8Array): boolean
  /** Resolves when the sink is writable again, or at once / on abort. */
  drained(): Promise<void>
  /** Ends the reply normally. */
  end(): void
  /** Drops the connection without ending the reply, so the client sees a truncated stream, not a complete one. */
  destroy(): void
}

/**
 * Streams SSE events into a sink, one event per write, waiting whenever the sink is buffered. When the client
 * goes, it stops pulling and calls `return()` on the iterator so the producer's `finally` runs. A producer that
 * throws rejects the returned promise after destroying the sink.
 */
export function pump(events: AsyncIterable<SseEvent>, sink: ByteSink): Promise<void> {
  return pumpEncoded(events, sink, encodeSse)
}

/** Streams raw chunks into a sink with backpressure; the iterator's `finally` runs when the client goes. */
export function pumpBytes(chunks: AsyncIterable<Uint8Array>, sink: ByteSink): Promise<void> {
  return pumpEncoded(chunks, sink, (chunk) => chunk)
}

// The one loop behind pump() and pumpBytes(): pull, encode, write, wait while buffered, return() on abort
async function pumpEncoded<T>(items: AsyncIterable<T>, sink: ByteSink, encode: (item: T) => Uint8Array): Promise<void> {
  const iterator = items[Symbol.asyncIterator]()
  let closed = false // the iterator finished or threw: it needs no return()
  try {
    while (!sink.aborted) {
      const result = await iterator.next().catch((error: unknown) => {
        closed = true
        throw error
      })
      if (result.done) {
        closed = true
        if (!sink.aborted) sink.end()
        return
      }
      if (sink.aborted) return
      if (!sink.write(encode(result.value))) await sink.drained()
    }
  } catch (error) {
    if (!sink.aborted) sink.destroy()
    throw error
  } finally {
    if (!closed) await iterator.return?.()
  }
}
