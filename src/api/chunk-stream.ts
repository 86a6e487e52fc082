import type { SseEvent } from '../http/sse.js'
import type { ErrorEventFrame } from '../http/stream-errors.js'

/** The chunks pulled before the reply's status was chosen, and whether the stream already ended. */
export type OpenedStream<T> = { head: T[]; done: boolean }

/**
 * Pulls chunks until the first one that is more than an opening (`isOpening`: a role-only delta), so that an error
 * raised before the first token (a prompt longer than the context, a rejected grammar) still gets its own status
 * code instead of becoming the last event of a 200 stream.
 */
export async function openStream<T>(
  chunks: AsyncGenerator<T>,
  isOpening: (chunk: T) => boolean = () => false,
): Promise<OpenedStream<T>> {
  const head: T[] = []
  for (;;) {
    const next = await chunks.next()
    if (next.done) return { head, done: true }
    head.push(next.value)
    if (!isOpening(next.value)) return { head, done: false }
  }
}

/** Options of `chunkEvents()`. */
export type ChunkEventsOptions = {
  /** Send the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean
  /** Told the usage chunk's `total_tokens`, sent or not (the rate limiter settles the request's estimate with it). */
  onUsage?: (totalTokens: number) => void
}

/**
 * Streams chat or completion chunks as SSE `data:` events and a final `[DONE]`. The engine ends every stream with a
 * usage chunk (no choices), sent only with `stream_options.include_usage`, when the other chunks carry `usage: null`
 * as OpenAI's do. An error after the stream started becomes its last event through the app's error hook and
 * `chunkErrorEvent`.
 */
export async function* chunkEvents<T extends { choices: unknown[]; usage?: { total_tokens: number } | null }>(
  opened: OpenedStream<T>,
  rest: AsyncGenerator<T>,
  { includeUsage, onUsage }: ChunkEventsOptions,
): AsyncGenerator<SseEvent> {
  const event = (chunk: T): SseEvent | null => {
    const isUsage = chunk.choices.length === 0
    if (isUsage && chunk.usage) onUsage?.(chunk.usage.total_tokens)
    if (isUsage && !includeUsage) return null
    return { data: JSON.stringify(includeUsage && !isUsage ? { ...chunk, usage: null } : chunk) }
  }
  try {
    for (const chunk of opened.head) {
      const e = event(chunk)
      if (e) yield e
    }
    if (!opened.done) {
      for (let next = await rest.next(); !next.done; next = await rest.next()) {
        const e = event(next.value)
        if (e) yield e
      }
    }
    yield { data: '[DONE]' }
  } finally {
    await rest.return(undefined)
  }
}

/** How chat and completions streams end on an error: a last `data:` event holding the envelope, as OpenAI's do. */
export const chunkErrorEvent: ErrorEventFrame = (error) => ({ data: JSON.stringify({ error }) })
