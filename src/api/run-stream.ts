import type { SseEvent } from '../http/sse.js'
import type { AssistantStreamEvent } from '../schemas/stream-events.js'
import { errorEvent } from './errors.js'

/**
 * An Assistants stream: the events given first (thread.created, thread.run.created, ...), then the run's own events
 * until it ends or waits for tool outputs, then `event: done`. A client that leaves only unsubscribes: the run goes on.
 */
export async function* runStreamEvents(
  first: AssistantStreamEvent[],
  events: AsyncIterableIterator<AssistantStreamEvent>,
): AsyncGenerator<SseEvent> {
  try {
    for (const event of first) yield toSse(event)
    for await (const event of events) yield toSse(event)
    yield { event: 'done', data: '[DONE]' }
  } catch (error) {
    const { data } = errorEvent(error) as { data: string }
    yield { event: 'error', data: JSON.stringify((JSON.parse(data) as { error: unknown }).error) }
  } finally {
    await events.return?.()
  }
}

function toSse(event: AssistantStreamEvent): SseEvent {
  return { event: event.event, data: JSON.stringify(event.data) }
}
