import { sse, type SseReply } from '../http/reply.js'
import type { SseEvent } from '../http/sse.js'
import type { ErrorEventFrame } from '../http/stream-errors.js'
import type { AssistantStreamEvent } from '../schemas/stream-events.js'

/** How an Assistants stream ends on an error: `event: error` whose data is the error object, as OpenAI's do. */
const runErrorEvent: ErrorEventFrame = (error) => ({ event: 'error', data: JSON.stringify(error) })

/**
 * An Assistants stream reply: the events given first (thread.created, thread.run.created, ...), then the run's own
 * events until it ends or waits for tool outputs, then `event: done`; an error ends it with `event: error` through
 * the app's error hook. A client that leaves only unsubscribes: the run goes on.
 */
export function runStream(
  first: AssistantStreamEvent[],
  events: AsyncIterableIterator<AssistantStreamEvent>,
): SseReply {
  return sse(runStreamEvents(first, events), { errorEvent: runErrorEvent })
}

async function* runStreamEvents(
  first: AssistantStreamEvent[],
  events: AsyncIterableIterator<AssistantStreamEvent>,
): AsyncGenerator<SseEvent> {
  try {
    for (const event of first) yield toSse(event)
    for await (const event of events) yield toSse(event)
    yield { event: 'done', data: '[DONE]' }
  } finally {
    await events.return?.()
  }
}

function toSse(event: AssistantStreamEvent): SseEvent {
  return { event: event.event, data: JSON.stringify(event.data) }
}
