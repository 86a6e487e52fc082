import { Type, type Static } from 'typebox'
import { RunId, StepId, ThreadId } from './ids.js'
import { ListResponse, Metadata, Nullable, NullableUnixTime, UnixTime, Usage, listQueryProperties } from './shared.js'

/** Extra fields a step may include on request. */
export const RunStepInclude = Type.Literal('step_details.tool_calls[*].file_search.results[*].content')
export type RunStepInclude = Static<typeof RunStepInclude>

/** The `include[]` query of run and step endpoints. */
export const RunStepIncludeQuery = Type.Optional(
  Type.Array(RunStepInclude, { description: 'Additional fields to include.' }),
)

/** A code_interpreter call with its outputs. */
export const CodeInterpreterToolCall = Type.Object({
  id: Type.String(),
  type: Type.Literal('code_interpreter'),
  code_interpreter: Type.Object({
    input: Type.String(),
    outputs: Type.Array(
      Type.Union([
        Type.Object({ type: Type.Literal('logs'), logs: Type.String() }),
        Type.Object({ type: Type.Literal('image'), image: Type.Object({ file_id: Type.String() }) }),
      ]),
    ),
  }),
})

const Ranker = Type.Union([Type.Literal('auto'), Type.Literal('default_2024_08_21')])

/** A file_search call with its results. */
export const FileSearchToolCall = Type.Object({
  id: Type.String(),
  type: Type.Literal('file_search'),
  file_search: Type.Object({
    ranking_options: Type.Optional(Type.Object({ ranker: Ranker, score_threshold: Type.Number() })),
    results: Type.Optional(
      Type.Array(
        Type.Object({
          file_id: Type.String(),
          file_name: Type.String(),
          score: Type.Number(),
          content: Type.Optional(
            Type.Array(Type.Object({ text: Type.Optional(Type.String()), type: Type.Optional(Type.Literal('text')) })),
          ),
        }),
      ),
    ),
  }),
})

/** A function call; `output` is null until tool outputs are submitted. */
export const FunctionToolCall = Type.Object({
  id: Type.String(),
  type: Type.Literal('function'),
  function: Type.Object({
    name: Type.String(),
    arguments: Type.String({ description: 'The arguments passed to the function (JSON text).' }),
    output: Nullable(Type.String({ description: 'The submitted output; null until submitted.' })),
  }),
})
export type FunctionToolCall = Static<typeof FunctionToolCall>

/** Any tool call of a tool_calls step. */
export const ToolCall = Type.Union([CodeInterpreterToolCall, FileSearchToolCall, FunctionToolCall])
export type ToolCall = Static<typeof ToolCall>

/** Details of a message_creation step. */
export const MessageCreationStepDetails = Type.Object({
  type: Type.Literal('message_creation'),
  message_creation: Type.Object({ message_id: Type.String({ description: 'The message created by this step.' }) }),
})
export type MessageCreationStepDetails = Static<typeof MessageCreationStepDetails>

/** Details of a tool_calls step. */
export const ToolCallsStepDetails = Type.Object({ type: Type.Literal('tool_calls'), tool_calls: Type.Array(ToolCall) })
export type ToolCallsStepDetails = Static<typeof ToolCallsStepDetails>

/** Run step status. */
export const RunStepStatus = Type.Union([
  Type.Literal('in_progress'),
  Type.Literal('cancelled'),
  Type.Literal('failed'),
  Type.Literal('completed'),
  Type.Literal('expired'),
])
export type RunStepStatus = Static<typeof RunStepStatus>

/** A step of a run. */
export const RunStep = Type.Object({
  id: Type.String(),
  object: Type.Literal('thread.run.step'),
  created_at: UnixTime,
  run_id: Type.String(),
  thread_id: Type.String(),
  assistant_id: Type.String(),
  type: Type.Union([Type.Literal('message_creation'), Type.Literal('tool_calls')]),
  status: RunStepStatus,
  step_details: Type.Union([MessageCreationStepDetails, ToolCallsStepDetails]),
  last_error: Nullable(
    Type.Object({
      code: Type.Union([Type.Literal('server_error'), Type.Literal('rate_limit_exceeded')]),
      message: Type.String(),
    }),
  ),
  usage: Nullable(Usage),
  cancelled_at: NullableUnixTime,
  completed_at: NullableUnixTime,
  expired_at: NullableUnixTime,
  failed_at: NullableUnixTime,
  metadata: Nullable(Metadata),
})
export type RunStep = Static<typeof RunStep>

/** A changed tool call in a step delta; every entry carries its `index`. */
export const ToolCallDelta = Type.Union([
  Type.Object({
    index: Type.Integer({ minimum: 0 }),
    type: Type.Literal('code_interpreter'),
    id: Type.Optional(Type.String()),
    code_interpreter: Type.Optional(
      Type.Object({
        input: Type.Optional(Type.String()),
        outputs: Type.Optional(
          Type.Array(
            Type.Union([
              Type.Object({ index: Type.Integer(), type: Type.Literal('logs'), logs: Type.Optional(Type.String()) }),
              Type.Object({
                index: Type.Integer(),
                type: Type.Literal('image'),
                image: Type.Optional(Type.Object({ file_id: Type.Optional(Type.String()) })),
              }),
            ]),
          ),
        ),
      }),
    ),
  }),
  Type.Object({
    index: Type.Integer({ minimum: 0 }),
    type: Type.Literal('file_search'),
    id: Type.Optional(Type.String()),
    file_search: Type.Unknown(),
  }),
  Type.Object({
    index: Type.Integer({ minimum: 0 }),
    type: Type.Literal('function'),
    id: Type.Optional(Type.String()),
    function: Type.Optional(
      Type.Object({
        name: Type.Optional(Type.String()),
        arguments: Type.Optional(Type.String()),
        output: Type.Optional(Nullable(Type.String())),
      }),
    ),
  }),
])
export type ToolCallDelta = Static<typeof ToolCallDelta>

/** The data of a `thread.run.step.delta` event (its `delta` never carries `id`). */
export const RunStepDeltaEvent = Type.Object({
  id: Type.String(),
  object: Type.Literal('thread.run.step.delta'),
  delta: Type.Object(
    {
      step_details: Type.Optional(
        Type.Union([
          Type.Object({
            type: Type.Literal('message_creation'),
            message_creation: Type.Optional(Type.Object({ message_id: Type.Optional(Type.String()) })),
          }),
          Type.Object({ type: Type.Literal('tool_calls'), tool_calls: Type.Optional(Type.Array(ToolCallDelta)) }),
        ]),
      ),
    },
    { additionalProperties: false },
  ),
})
export type RunStepDeltaEvent = Static<typeof RunStepDeltaEvent>

/** GET /v1/threads/{thread_id}/runs/{run_id}/steps query. */
export const StepListParams = Type.Object({ ...listQueryProperties('step'), include: RunStepIncludeQuery })
export type StepListParams = Static<typeof StepListParams>

/** GET /v1/threads/{thread_id}/runs/{run_id}/steps/{step_id} query. */
export const StepRetrieveParams = Type.Object({ include: RunStepIncludeQuery })
export type StepRetrieveParams = Static<typeof StepRetrieveParams>

/** A page of run steps. */
export const RunStepsPage = ListResponse(RunStep)
export type RunStepsPage = Static<typeof RunStepsPage>

/** Path of /v1/threads/{thread_id}/runs/{run_id}/steps/{step_id}. */
export const StepPath = Type.Object({ thread_id: ThreadId, run_id: RunId, step_id: StepId })
export type StepPath = Static<typeof StepPath>
