import type { SseEvent } from '../http/sse.js'
import { errorEvent } from './errors.js'

/**
 * Streams chat or completion chunks as SSE `data:` events and a final `[DONE]`. The engine ends every stream with a
 * usage chunk (no choices), sent only with `stream_options.include_usage`, when the other chunks carry `usage: null`
 * as OpenAI's do. An error after the stream started becomes its last event.
 */
export async function* chunkEvents<T extends { choices: unknown[] }>(first: IteratorResult<T>, rest: AsyncGenerator<T>, includeUsage: boolean): AsyncGenerator<SseEvent> {
  try {
    for (let next = first; !next.done; next = await rest.next()) {
      const isUsage = next.value.choices.length === 0
      if (isUsage && !includeUsage) continue
      yield { data: JSON.stringify(includeUsage && !isUsage ? { ...next.value, usage: null } : next.value) }
    }
    yield { data: '[DONE]' }
  } catch (error) {
    yield errorEvent(error)
  } finally {
    await rest.return(undefined)
  }
}
