import { Type, type Static, type TSchema } from 'typebox'
import { Message, MessageDeltaEvent } from './messages.js'
import { RunStep, RunStepDeltaEvent } from './run-steps.js'
import { Run } from './runs.js'
import { ErrorObject } from './shared.js'
import { Thread } from './threads.js'

function event<E extends string, D extends TSchema>(name: E, data: D, description: string) {
  return Type.Object({ event: Type.Literal(name), data }, { description })
}

/** `thread.created`: sent first by create-thread-and-run. */
export const ThreadCreated = Type.Object(
  {
    event: Type.Literal('thread.created'),
    data: Thread,
    enabled: Type.Optional(Type.Boolean()),
  },
  { description: 'Occurs when a new thread is created.' },
)
/** `thread.run.created`. */
export const ThreadRunCreated = event('thread.run.created', Run, 'Occurs when a run is created.')
/** `thread.run.queued`. */
export const ThreadRunQueued = event('thread.run.queued', Run, 'Occurs when a run moves to `queued`.')
/** `thread.run.in_progress`. */
export const ThreadRunInProgress = event('thread.run.in_progress', Run, 'Occurs when a run moves to `in_progress`.')
/** `thread.run.requires_action`. */
export const ThreadRunRequiresAction = event(
  'thread.run.requires_action',
  Run,
  'Occurs when a run moves to `requires_action`.',
)
/** `thread.run.completed`. */
export const ThreadRunCompleted = event('thread.run.completed', Run, 'Occurs when a run completes.')
/** `thread.run.incomplete`. */
export const ThreadRunIncomplete = event('thread.run.incomplete', Run, 'Occurs when a run ends `incomplete`.')
/** `thread.run.failed`. */
export const ThreadRunFailed = event('thread.run.failed', Run, 'Occurs when a run fails.')
/** `thread.run.cancelling`. */
export const ThreadRunCancelling = event('thread.run.cancelling', Run, 'Occurs when a run moves to `cancelling`.')
/** `thread.run.cancelled`. */
export const ThreadRunCancelled = event('thread.run.cancelled', Run, 'Occurs when a run is cancelled.')
/** `thread.run.expired`. */
export const ThreadRunExpired = event('thread.run.expired', Run, 'Occurs when a run expires.')
/** `thread.run.step.created`. */
export const ThreadRunStepCreated = event('thread.run.step.created', RunStep, 'Occurs when a run step is created.')
/** `thread.run.step.in_progress`. */
export const ThreadRunStepInProgress = event(
  'thread.run.step.in_progress',
  RunStep,
  'Occurs when a run step moves to `in_progress`.',
)
/** `thread.run.step.delta`. */
export const ThreadRunStepDelta = event(
  'thread.run.step.delta',
  RunStepDeltaEvent,
  'Occurs when parts of a run step are streamed.',
)
/** `thread.run.step.completed`. */
export const ThreadRunStepCompleted = event(
  'thread.run.step.completed',
  RunStep,
  'Occurs when a run step is completed.',
)
/** `thread.run.step.failed`. */
export const ThreadRunStepFailed = event('thread.run.step.failed', RunStep, 'Occurs when a run step fails.')
/** `thread.run.step.cancelled`. */
export const ThreadRunStepCancelled = event(
  'thread.run.step.cancelled',
  RunStep,
  'Occurs when a run step is cancelled.',
)
/** `thread.run.step.expired`. */
export const ThreadRunStepExpired = event('thread.run.step.expired', RunStep, 'Occurs when a run step expires.')
/** `thread.message.created`. */
export const ThreadMessageCreated = event('thread.message.created', Message, 'Occurs when a message is created.')
/** `thread.message.in_progress`. */
export const ThreadMessageInProgress = event(
  'thread.message.in_progress',
  Message,
  'Occurs when a message moves to `in_progress`.',
)
/** `thread.message.delta`. */
export const ThreadMessageDelta = event(
  'thread.message.delta',
  MessageDeltaEvent,
  'Occurs when parts of a message are streamed.',
)
/** `thread.message.completed`. */
export const ThreadMessageCompleted = event('thread.message.completed', Message, 'Occurs when a message is completed.')
/** `thread.message.incomplete`. */
export const ThreadMessageIncomplete = event(
  'thread.message.incomplete',
  Message,
  'Occurs when a message ends before it is completed.',
)
/** `error`: the last event of a stream that failed after it started. */
export const ErrorEvent = event('error', ErrorObject, 'Occurs when an error occurs; the stream ends.')

/** Every named event of an Assistants run stream (the stream then ends with `event: done`, `data: [DONE]`). */
export const AssistantStreamEvent = Type.Union([
  ThreadCreated,
  ThreadRunCreated,
  ThreadRunQueued,
  ThreadRunInProgress,
  ThreadRunRequiresAction,
  ThreadRunCompleted,
  ThreadRunIncomplete,
  ThreadRunFailed,
  ThreadRunCancelling,
  ThreadRunCancelled,
  ThreadRunExpired,
  ThreadRunStepCreated,
  ThreadRunStepInProgress,
  ThreadRunStepDelta,
  ThreadRunStepCompleted,
  ThreadRunStepFailed,
  ThreadRunStepCancelled,
  ThreadRunStepExpired,
  ThreadMessageCreated,
  ThreadMessageInProgress,
  ThreadMessageDelta,
  ThreadMessageCompleted,
  ThreadMessageIncomplete,
  ErrorEvent,
])
export type AssistantStreamEvent = Static<typeof AssistantStreamEvent>

/** The `event` names of AssistantStreamEvent. */
export type AssistantStreamEventName = AssistantStreamEvent['event']
