import type { Engine } from '../engine.js'
import type { Lane } from '../scheduler.js'
import type { CallOptions, GenerationEvent } from '../types.js'

/** The lane a call's work runs in: its reserved slot's, the one it asks for, or interactive. */
export function laneOfCall(options: CallOptions): Lane {
  return options.slot?.lane ?? options.lane ?? 'interactive'
}

/**
 * Passes a generation's events through, telling the engine's observer when the first token comes (timed from the
 * first read, which is when the caller asks for the work) and the usage at the end. Without an observer it is the
 * events themselves.
 */
export function observeGeneration(
  engine: Engine,
  options: CallOptions,
  events: AsyncGenerator<GenerationEvent>,
): AsyncGenerator<GenerationEvent> {
  const { observer } = engine.config
  return observer ? observed(observer, laneOfCall(options), events) : events
}

async function* observed(
  observer: NonNullable<Engine['config']['observer']>,
  lane: Lane,
  events: AsyncGenerator<GenerationEvent>,
): AsyncGenerator<GenerationEvent> {
  const started = performance.now()
  let waiting = true
  for await (const event of events) {
    if (waiting && (event.type === 'text' || event.type === 'tool_call')) {
      waiting = false
      observer.firstToken(lane, (performance.now() - started) / 1000)
    } else if (event.type === 'usage') observer.finished(lane, event.usage, event.timings)
    yield event
  }
}
