import { Type, type Static } from 'typebox'
import {
  AssistantResponseFormatOption,
  AssistantToolChoiceOption,
  AssistantTools,
  ReasoningEffort,
  Temperature,
  ToolResources,
  TopP,
} from './assistants.js'
import { ObjectIdOf, RunId, ThreadId } from './ids.js'
import { MessageCreateParams } from './messages.js'
import { RunStepIncludeQuery } from './run-steps.js'
import { ListResponse, Metadata, Nullable, NullableUnixTime, UnixTime, Usage, listQueryProperties } from './shared.js'
import { THREAD_CREATE_PROPERTIES } from './threads.js'

/** The nine run statuses; anything else sends the SDK's pollers into a tight loop. */
export const RunStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('in_progress'),
  Type.Literal('requires_action'),
  Type.Literal('cancelling'),
  Type.Literal('cancelled'),
  Type.Literal('failed'),
  Type.Literal('completed'),
  Type.Literal('incomplete'),
  Type.Literal('expired'),
])
export type RunStatus = Static<typeof RunStatus>

/** How the thread is truncated before the run. */
export const TruncationStrategy = Type.Object({
  type: Type.Union([Type.Literal('auto'), Type.Literal('last_messages')], {
    description: '`auto` or `last_messages`.',
  }),
  last_messages: Type.Optional(
    Nullable(Type.Integer({ minimum: 1, description: 'Number of most recent messages to keep.' })),
  ),
})
export type TruncationStrategy = Static<typeof TruncationStrategy>

/** A function call the run waits on. */
export const RequiredActionFunctionToolCall = Type.Object({
  id: Type.String({ description: 'Reference this id when submitting the output.' }),
  type: Type.Literal('function'),
  function: Type.Object({
    name: Type.String(),
    arguments: Type.String({ description: 'JSON arguments for the function.' }),
  }),
})
export type RequiredActionFunctionToolCall = Static<typeof RequiredActionFunctionToolCall>

/** What the run needs before it can continue. */
export const RequiredAction = Type.Object({
  type: Type.Literal('submit_tool_outputs'),
  submit_tool_outputs: Type.Object({ tool_calls: Type.Array(RequiredActionFunctionToolCall) }),
})
export type RequiredAction = Static<typeof RequiredAction>

/** The last error of a run. */
export const RunLastError = Type.Object({
  code: Type.Union([Type.Literal('server_error'), Type.Literal('rate_limit_exceeded'), Type.Literal('invalid_prompt')]),
  message: Type.String(),
})
export type RunLastError = Static<typeof RunLastError>

/** Why a run is incomplete. */
export const RunIncompleteDetails = Type.Object({
  reason: Type.Optional(Type.Union([Type.Literal('max_completion_tokens'), Type.Literal('max_prompt_tokens')])),
})
export type RunIncompleteDetails = Static<typeof RunIncompleteDetails>

/** A run of an assistant on a thread. */
export const Run = Type.Object({
  id: Type.String(),
  object: Type.Literal('thread.run'),
  created_at: UnixTime,
  thread_id: Type.String(),
  assistant_id: Type.String(),
  status: RunStatus,
  required_action: Nullable(RequiredAction),
  last_error: Nullable(RunLastError),
  expires_at: NullableUnixTime,
  started_at: NullableUnixTime,
  cancelled_at: NullableUnixTime,
  failed_at: NullableUnixTime,
  completed_at: NullableUnixTime,
  incomplete_details: Nullable(RunIncompleteDetails),
  model: Type.String(),
  instructions: Type.String(),
  tools: AssistantTools,
  metadata: Nullable(Metadata),
  usage: Nullable(Usage),
  temperature: Type.Optional(Nullable(Type.Number())),
  top_p: Type.Optional(Nullable(Type.Number())),
  max_prompt_tokens: Nullable(Type.Integer()),
  max_completion_tokens: Nullable(Type.Integer()),
  truncation_strategy: Nullable(TruncationStrategy),
  response_format: Nullable(AssistantResponseFormatOption),
  tool_choice: Nullable(AssistantToolChoiceOption),
  parallel_tool_calls: Type.Boolean(),
})
export type Run = Static<typeof Run>

const TokenLimit = Type.Integer({
  minimum: 256,
  description: 'At least 256 (as OpenAI); the run ends `incomplete` past it.',
})

const runSettings = {
  assistant_id: ObjectIdOf('asst', 'The assistant that executes the run.'),
  model: Type.Optional(Nullable(Type.String({ minLength: 1, description: "Overrides the assistant's model." }))),
  instructions: Type.Optional(Nullable(Type.String({ description: "Overrides the assistant's instructions." }))),
  tools: Type.Optional(Nullable(AssistantTools)),
  tool_choice: Type.Optional(Nullable(AssistantToolChoiceOption)),
  parallel_tool_calls: Type.Optional(
    Type.Boolean({ description: 'Whether the model may call several functions at once.' }),
  ),
  response_format: Type.Optional(Nullable(AssistantResponseFormatOption)),
  temperature: Type.Optional(Nullable(Temperature)),
  top_p: Type.Optional(Nullable(TopP)),
  max_prompt_tokens: Type.Optional(Nullable(TokenLimit)),
  max_completion_tokens: Type.Optional(Nullable(TokenLimit)),
  truncation_strategy: Type.Optional(Nullable(TruncationStrategy)),
  metadata: Type.Optional(Nullable(Metadata)),
}

const runCreateProperties = {
  ...runSettings,
  additional_instructions: Type.Optional(
    Nullable(Type.String({ description: 'Appended to the instructions for this run.' })),
  ),
  additional_messages: Type.Optional(
    Nullable(Type.Array(MessageCreateParams, { description: 'Added to the thread before the run.' })),
  ),
  reasoning_effort: Type.Optional(ReasoningEffort),
}

/** POST /v1/threads/{thread_id}/runs body without streaming. */
export const RunCreateParamsNonStreaming = Type.Object(
  {
    ...runCreateProperties,
    stream: Type.Optional(Nullable(Type.Literal(false, { description: 'Reply with the run object.' }))),
  },
  { additionalProperties: false },
)
export type RunCreateParamsNonStreaming = Static<typeof RunCreateParamsNonStreaming>

/** POST /v1/threads/{thread_id}/runs body with `stream: true`. */
export const RunCreateParamsStreaming = Type.Object(
  {
    ...runCreateProperties,
    stream: Type.Literal(true, { description: 'Reply with server-sent events until the run ends or needs action.' }),
  },
  { additionalProperties: false },
)
export type RunCreateParamsStreaming = Static<typeof RunCreateParamsStreaming>

/** POST /v1/threads/{thread_id}/runs body. */
export const RunCreateParams = Type.Union([RunCreateParamsNonStreaming, RunCreateParamsStreaming])
export type RunCreateParams = Static<typeof RunCreateParams>

/** POST /v1/threads/{thread_id}/runs query (`include[]`). */
export const RunCreateQuery = Type.Object({ include: RunStepIncludeQuery })
export type RunCreateQuery = Static<typeof RunCreateQuery>

const threadCreateAndRunProperties = {
  ...runSettings,
  thread: Type.Optional(
    Type.Object(THREAD_CREATE_PROPERTIES, {
      additionalProperties: false,
      description: 'The thread to create; empty if omitted.',
    }),
  ),
  tool_resources: Type.Optional(Nullable(ToolResources)),
}

/** POST /v1/threads/runs body without streaming. */
export const ThreadCreateAndRunParamsNonStreaming = Type.Object(
  {
    ...threadCreateAndRunProperties,
    stream: Type.Optional(Nullable(Type.Literal(false))),
  },
  { additionalProperties: false },
)
export type ThreadCreateAndRunParamsNonStreaming = Static<typeof ThreadCreateAndRunParamsNonStreaming>

/** POST /v1/threads/runs body with `stream: true`. */
export const ThreadCreateAndRunParamsStreaming = Type.Object(
  {
    ...threadCreateAndRunProperties,
    stream: Type.Literal(true),
  },
  { additionalProperties: false },
)
export type ThreadCreateAndRunParamsStreaming = Static<typeof ThreadCreateAndRunParamsStreaming>

/** POST /v1/threads/runs body. */
export const ThreadCreateAndRunParams = Type.Union([
  ThreadCreateAndRunParamsNonStreaming,
  ThreadCreateAndRunParamsStreaming,
])
export type ThreadCreateAndRunParams = Static<typeof ThreadCreateAndRunParams>

/** POST /v1/threads/{thread_id}/runs/{run_id} body. */
export const RunUpdateParams = Type.Object(
  { metadata: Type.Optional(Nullable(Metadata)) },
  { additionalProperties: false },
)
export type RunUpdateParams = Static<typeof RunUpdateParams>

const ToolOutput = Type.Object({
  tool_call_id: Type.Optional(
    Type.String({ description: 'The id from `required_action.submit_tool_outputs.tool_calls`.' }),
  ),
  output: Type.Optional(Type.String({ description: 'The output of the tool call.' })),
})

/** POST .../submit_tool_outputs body without streaming. */
export const RunSubmitToolOutputsParamsNonStreaming = Type.Object(
  {
    tool_outputs: Type.Array(ToolOutput),
    stream: Type.Optional(Nullable(Type.Literal(false))),
  },
  { additionalProperties: false },
)
export type RunSubmitToolOutputsParamsNonStreaming = Static<typeof RunSubmitToolOutputsParamsNonStreaming>

/** POST .../submit_tool_outputs body with `stream: true`. */
export const RunSubmitToolOutputsParamsStreaming = Type.Object(
  {
    tool_outputs: Type.Array(ToolOutput),
    stream: Type.Literal(true),
  },
  { additionalProperties: false },
)
export type RunSubmitToolOutputsParamsStreaming = Static<typeof RunSubmitToolOutputsParamsStreaming>

/** POST .../submit_tool_outputs body. */
export const RunSubmitToolOutputsParams = Type.Union([
  RunSubmitToolOutputsParamsNonStreaming,
  RunSubmitToolOutputsParamsStreaming,
])
export type RunSubmitToolOutputsParams = Static<typeof RunSubmitToolOutputsParams>

/** GET /v1/threads/{thread_id}/runs query. */
export const RunListParams = Type.Object(listQueryProperties('run'))
export type RunListParams = Static<typeof RunListParams>

/** A page of runs. */
export const RunsPage = ListResponse(Run)
export type RunsPage = Static<typeof RunsPage>

/** Path of /v1/threads/{thread_id}/runs/{run_id} and its actions. */
export const RunPath = Type.Object({ thread_id: ThreadId, run_id: RunId })
export type RunPath = Static<typeof RunPath>
