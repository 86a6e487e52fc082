import type { ApiError, ErrorEnvelope } from './errors.js'
import type { SseEvent } from './sse.js'

/** How a route frames an error as the last event of a stream whose status is already sent. */
export type ErrorEventFrame = (error: ErrorEnvelope['error']) => SseEvent

/**
 * Passes `events` through; when the source throws, the error is mapped as any handler error is (`toApiError`, the
 * app's error hook) and ends the stream as the event `frame` makes of its envelope.
 */
export async function* withErrorEvent(
  events: AsyncIterable<SseEvent>,
  frame: ErrorEventFrame,
  toApiError: (error: unknown) => ApiError,
): AsyncGenerator<SseEvent> {
  try {
    yield* events
  } catch (error) {
    yield frame(toApiError(error).toEnvelope().error)
  }
}
