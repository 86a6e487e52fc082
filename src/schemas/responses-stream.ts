import { Type, type Static, type TSchema } from 'typebox'
import {
  Response,
  ResponseLogprob,
  ResponseOutputItem,
  ResponseOutputText,
  ResponseReasoningText,
} from './responses.js'

const SequenceNumber = Type.Integer({ minimum: 0, description: 'The place of the event in its stream, from 0.' })
const ItemRef = {
  item_id: Type.String({ description: 'The id of the output item the event belongs to.' }),
  output_index: Type.Integer({ minimum: 0, description: 'The index of that item in `output`.' }),
}

function lifecycle<E extends string>(type: E, description: string) {
  return Type.Object({ type: Type.Literal(type), response: Response, sequence_number: SequenceNumber }, { description })
}

function itemEvent<E extends string, P extends Record<string, TSchema>>(type: E, fields: P, description: string) {
  return Type.Object(
    { type: Type.Literal(type), ...ItemRef, ...fields, sequence_number: SequenceNumber },
    { description },
  )
}

/** `response.created`: always the first event. */
export const ResponseCreatedEvent = lifecycle('response.created', 'The response was created.')
/** `response.queued`: a background response waits for the engine. */
export const ResponseQueuedEvent = lifecycle('response.queued', 'The background response is queued.')
/** `response.in_progress`: generation started. */
export const ResponseInProgressEvent = lifecycle('response.in_progress', 'The response is being generated.')
/** `response.completed`: the last event of a finished response. */
export const ResponseCompletedEvent = lifecycle('response.completed', 'The response completed.')
/** `response.incomplete`: the last event when the token cap stopped it. */
export const ResponseIncompleteEvent = lifecycle('response.incomplete', 'The response ended incomplete.')
/** `response.failed`: the last event when generation failed after the stream started. */
export const ResponseFailedEvent = lifecycle('response.failed', 'The response failed.')

/** `response.output_item.added`: a new output item (a message starts with `content: []`). */
export const ResponseOutputItemAddedEvent = Type.Object(
  {
    type: Type.Literal('response.output_item.added'),
    output_index: Type.Integer({ minimum: 0 }),
    item: ResponseOutputItem,
    sequence_number: SequenceNumber,
  },
  { description: 'An output item was added.' },
)
/** `response.output_item.done`: the item as it ended. */
export const ResponseOutputItemDoneEvent = Type.Object(
  {
    type: Type.Literal('response.output_item.done'),
    output_index: Type.Integer({ minimum: 0 }),
    item: ResponseOutputItem,
    sequence_number: SequenceNumber,
  },
  { description: 'An output item is done.' },
)
/** `response.content_part.added`: a content part of a message or reasoning item, empty. */
export const ResponseContentPartAddedEvent = itemEvent(
  'response.content_part.added',
  { content_index: Type.Integer({ minimum: 0 }), part: Type.Union([ResponseOutputText, ResponseReasoningText]) },
  'A content part was added to a message.',
)
/** `response.content_part.done`: the part with its whole text. */
export const ResponseContentPartDoneEvent = itemEvent(
  'response.content_part.done',
  { content_index: Type.Integer({ minimum: 0 }), part: Type.Union([ResponseOutputText, ResponseReasoningText]) },
  'A content part is done.',
)
/** `response.output_text.delta`: more text of a part. */
export const ResponseTextDeltaEvent = itemEvent(
  'response.output_text.delta',
  { content_index: Type.Integer({ minimum: 0 }), delta: Type.String(), logprobs: Type.Array(ResponseLogprob) },
  'More text of a content part.',
)
/** `response.output_text.done`: the part's whole text. */
export const ResponseTextDoneEvent = itemEvent(
  'response.output_text.done',
  { content_index: Type.Integer({ minimum: 0 }), text: Type.String(), logprobs: Type.Array(ResponseLogprob) },
  'The text of a content part is done.',
)
/** `response.reasoning_text.delta`: more text of a reasoning item's part. */
export const ResponseReasoningTextDeltaEvent = itemEvent(
  'response.reasoning_text.delta',
  { content_index: Type.Integer({ minimum: 0 }), delta: Type.String() },
  'More reasoning text.',
)
/** `response.reasoning_text.done`: the reasoning part's whole text. */
export const ResponseReasoningTextDoneEvent = itemEvent(
  'response.reasoning_text.done',
  { content_index: Type.Integer({ minimum: 0 }), text: Type.String() },
  'The reasoning text is done.',
)
/** `response.function_call_arguments.delta`: more arguments of a function call. */
export const ResponseFunctionCallArgumentsDeltaEvent = itemEvent(
  'response.function_call_arguments.delta',
  { delta: Type.String() },
  "More of a function call's arguments.",
)
/** `response.function_call_arguments.done`: the call's whole arguments. */
export const ResponseFunctionCallArgumentsDoneEvent = itemEvent(
  'response.function_call_arguments.done',
  { name: Type.String(), arguments: Type.String() },
  "A function call's arguments are done.",
)

/** One event of a Responses stream, as it goes on the wire (`event: <type>`, the object as `data`). */
export const ResponseStreamEvent = Type.Union([
  ResponseCreatedEvent,
  ResponseQueuedEvent,
  ResponseInProgressEvent,
  ResponseCompletedEvent,
  ResponseIncompleteEvent,
  ResponseFailedEvent,
  ResponseOutputItemAddedEvent,
  ResponseOutputItemDoneEvent,
  ResponseContentPartAddedEvent,
  ResponseContentPartDoneEvent,
  ResponseTextDeltaEvent,
  ResponseTextDoneEvent,
  ResponseReasoningTextDeltaEvent,
  ResponseReasoningTextDoneEvent,
  ResponseFunctionCallArgumentsDeltaEvent,
  ResponseFunctionCallArgumentsDoneEvent,
])
export type ResponseStreamEvent = Static<typeof ResponseStreamEvent>

/** An event before its `sequence_number`, which the stream that sends it adds. */
export type UnnumberedEvent = Unnumbered<ResponseStreamEvent>
type Unnumbered<E> = E extends unknown ? Omit<E, 'sequence_number'> : never
