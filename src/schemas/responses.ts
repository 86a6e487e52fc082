import { Type, type Static } from 'typebox'
import { Temperature, TopP } from './assistants.js'
import { ItemId, ResponseId } from './ids.js'
import { ListQuery, ListResponse, Metadata, Nullable, UnixTime } from './shared.js'

const NAME_PATTERN = '^[a-zA-Z0-9_-]{1,64}$'
const JsonSchemaObject = Type.Record(Type.String(), Type.Unknown(), { description: 'A JSON Schema object.' })

/** Text the caller sends in a message. */
export const ResponseInputText = Type.Object({ type: Type.Literal('input_text'), text: Type.String() })

/** An image part (parsed so the API can refuse it by name: the model takes text only). */
export const ResponseInputImage = Type.Object(
  { type: Type.Literal('input_image'), detail: Type.Optional(Type.String()) },
  { additionalProperties: true },
)

/** A file part (parsed so the API can refuse it by name). */
export const ResponseInputFile = Type.Object({ type: Type.Literal('input_file') }, { additionalProperties: true })

/** One log probability of an output token, with its alternatives. */
export const ResponseLogprob = Type.Object({
  token: Type.String(),
  logprob: Type.Number(),
  bytes: Type.Array(Type.Integer()),
  top_logprobs: Type.Array(
    Type.Object({ token: Type.String(), logprob: Type.Number(), bytes: Type.Array(Type.Integer()) }),
  ),
})
export type ResponseLogprob = Static<typeof ResponseLogprob>

/** Text the model wrote. */
export const ResponseOutputText = Type.Object({
  type: Type.Literal('output_text'),
  text: Type.String(),
  annotations: Type.Array(Type.Unknown()),
  logprobs: Type.Optional(Type.Array(ResponseLogprob)),
})
export type ResponseOutputText = Static<typeof ResponseOutputText>

/** A refusal the model wrote. */
export const ResponseOutputRefusal = Type.Object({ type: Type.Literal('refusal'), refusal: Type.String() })

const ItemStatus = Type.Union([Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('incomplete')])

/** A message in `input`: a role and text (a string or parts); replayed assistant messages keep their id. */
export const ResponseInputMessage = Type.Object({
  type: Type.Optional(Type.Literal('message')),
  id: Type.Optional(Type.String({ maxLength: 256 })),
  status: Type.Optional(ItemStatus),
  role: Type.Union([
    Type.Literal('user'),
    Type.Literal('assistant'),
    Type.Literal('system'),
    Type.Literal('developer'),
  ]),
  content: Type.Union([
    Type.String(),
    Type.Array(
      Type.Union([
        ResponseInputText,
        ResponseInputImage,
        ResponseInputFile,
        Type.Object({
          type: Type.Literal('output_text'),
          text: Type.String(),
          annotations: Type.Optional(Type.Array(Type.Unknown())),
          logprobs: Type.Optional(Type.Array(Type.Unknown())),
        }),
        ResponseOutputRefusal,
      ]),
    ),
  ]),
})
export type ResponseInputMessage = Static<typeof ResponseInputMessage>

/** A function call the model made (in output, or replayed in input). */
export const ResponseFunctionToolCall = Type.Object({
  type: Type.Literal('function_call'),
  id: Type.Optional(Type.String({ maxLength: 256 })),
  call_id: Type.String({ minLength: 1, maxLength: 256 }),
  name: Type.String(),
  arguments: Type.String(),
  status: Type.Optional(ItemStatus),
})
export type ResponseFunctionToolCall = Static<typeof ResponseFunctionToolCall>

/** The result of a function call, sent back by the caller. */
export const ResponseFunctionCallOutput = Type.Object({
  type: Type.Literal('function_call_output'),
  id: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  call_id: Type.String({ minLength: 1, maxLength: 256 }),
  output: Type.Union([
    Type.String(),
    Type.Array(Type.Union([ResponseInputText, ResponseInputImage, ResponseInputFile])),
  ]),
  status: Type.Optional(Nullable(ItemStatus)),
})
export type ResponseFunctionCallOutput = Static<typeof ResponseFunctionCallOutput>

/** A reasoning item replayed from an earlier output (kept out of the prompt). */
export const ResponseReasoningItem = Type.Object(
  { type: Type.Literal('reasoning'), id: Type.String(), summary: Type.Array(Type.Unknown()) },
  { additionalProperties: true },
)

/** One item of `input`. */
export const ResponseInputItem = Type.Union([
  ResponseInputMessage,
  ResponseFunctionToolCall,
  ResponseFunctionCallOutput,
  ResponseReasoningItem,
])
export type ResponseInputItem = Static<typeof ResponseInputItem>

/** The assistant message of an output. */
export const ResponseOutputMessage = Type.Object({
  id: Type.String(),
  type: Type.Literal('message'),
  role: Type.Literal('assistant'),
  status: ItemStatus,
  content: Type.Array(Type.Union([ResponseOutputText, ResponseOutputRefusal])),
})
export type ResponseOutputMessage = Static<typeof ResponseOutputMessage>

/** A function call of an output: `id` is the item's, `call_id` the one `function_call_output` answers. */
export const ResponseOutputFunctionCall = Type.Object({
  type: Type.Literal('function_call'),
  id: Type.String(),
  call_id: Type.String(),
  name: Type.String(),
  arguments: Type.String(),
  status: ItemStatus,
})
export type ResponseOutputFunctionCall = Static<typeof ResponseOutputFunctionCall>

/** Reasoning text of an output: what the model wrote between `<think>` and `</think>`. */
export const ResponseReasoningText = Type.Object({ type: Type.Literal('reasoning_text'), text: Type.String() })
export type ResponseReasoningText = Static<typeof ResponseReasoningText>

/** The model's reasoning before its answer, as one `reasoning_text` part (no summaries are written). */
export const ResponseOutputReasoning = Type.Object({
  type: Type.Literal('reasoning'),
  id: Type.String(),
  summary: Type.Array(Type.Object({ type: Type.Literal('summary_text'), text: Type.String() })),
  content: Type.Array(ResponseReasoningText),
  status: ItemStatus,
})
export type ResponseOutputReasoning = Static<typeof ResponseOutputReasoning>

/** One item of a response's `output`. */
export const ResponseOutputItem = Type.Union([
  ResponseOutputReasoning,
  ResponseOutputMessage,
  ResponseOutputFunctionCall,
])
export type ResponseOutputItem = Static<typeof ResponseOutputItem>

/** A stored input item, as GET /v1/responses/{id}/input_items lists it: every item has an id. */
export const ResponseItem = Type.Union([
  Type.Object({
    id: Type.String(),
    type: Type.Literal('message'),
    role: Type.Union([
      Type.Literal('user'),
      Type.Literal('assistant'),
      Type.Literal('system'),
      Type.Literal('developer'),
    ]),
    status: ItemStatus,
    content: Type.Array(Type.Union([ResponseInputText, ResponseOutputText, ResponseOutputRefusal])),
  }),
  ResponseOutputFunctionCall,
  ResponseOutputReasoning,
  Type.Object({
    id: Type.String(),
    type: Type.Literal('function_call_output'),
    call_id: Type.String(),
    output: Type.Union([Type.String(), Type.Array(ResponseInputText)]),
    status: ItemStatus,
  }),
])
export type ResponseItem = Static<typeof ResponseItem>

/** A function the model may call: flat, unlike chat's `{type, function:{…}}`. */
export const ResponseFunctionTool = Type.Object({
  type: Type.Literal('function'),
  name: Type.String({ pattern: NAME_PATTERN, description: 'a-z, A-Z, 0-9, underscores and dashes, at most 64.' }),
  description: Type.Optional(Nullable(Type.String())),
  parameters: Nullable(JsonSchemaObject),
  strict: Nullable(Type.Boolean({ description: 'Whether the arguments must follow `parameters` exactly.' })),
})
export type ResponseFunctionTool = Static<typeof ResponseFunctionTool>

/** Types of OpenAI-hosted tools: parsed so the API can refuse each by name. */
export const HOSTED_TOOL_TYPES = [
  'file_search',
  'computer',
  'computer_use_preview',
  'web_search',
  'web_search_2025_08_26',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'mcp',
  'code_interpreter',
  'programmatic_tool_calling',
  'image_generation',
  'local_shell',
  'shell',
  'custom',
  'namespace',
  'tool_search',
  'apply_patch',
] as const

/** A hosted tool (any settings): the server does not run these. */
export const ResponseHostedTool = Type.Object(
  { type: Type.Union(HOSTED_TOOL_TYPES.map((type) => Type.Literal(type))) },
  { additionalProperties: true },
)

/** Any tool of the request. */
export const ResponseTool = Type.Union([ResponseFunctionTool, ResponseHostedTool])
export type ResponseTool = Static<typeof ResponseTool>

/** `tool_choice` as the Responses API shapes it. */
export const ResponseToolChoice = Type.Union([
  Type.Union([Type.Literal('none'), Type.Literal('auto'), Type.Literal('required')]),
  Type.Object({ type: Type.Literal('function'), name: Type.String() }),
  Type.Object({
    type: Type.Literal('allowed_tools'),
    mode: Type.Union([Type.Literal('auto'), Type.Literal('required')]),
    tools: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  }),
  Type.Object({ type: Type.String() }, { additionalProperties: true }),
])
export type ResponseToolChoice = Static<typeof ResponseToolChoice>

/** `text.format`: plain text, any JSON object, or JSON matching a schema (flat, unlike chat's). */
export const ResponseFormatTextConfig = Type.Union([
  Type.Object({ type: Type.Literal('text') }),
  Type.Object({ type: Type.Literal('json_object') }),
  Type.Object({
    type: Type.Literal('json_schema'),
    name: Type.String({ pattern: NAME_PATTERN }),
    schema: JsonSchemaObject,
    description: Type.Optional(Type.String()),
    strict: Type.Optional(Nullable(Type.Boolean())),
  }),
])

/** `text`: the output's format and verbosity. */
export const ResponseTextConfig = Type.Object({
  format: Type.Optional(ResponseFormatTextConfig),
  verbosity: Type.Optional(Nullable(Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]))),
})
export type ResponseTextConfig = Static<typeof ResponseTextConfig>

/** Values of `include` the server honours. */
export const SUPPORTED_INCLUDES = ['message.output_text.logprobs'] as const

const Reasoning = Type.Object({}, { additionalProperties: true })

/** POST /v1/responses body. */
export const ResponseCreateParams = Type.Object({
  model: Type.String({ description: 'The model to use.' }),
  input: Type.Optional(Type.Union([Type.String(), Type.Array(ResponseInputItem)])),
  instructions: Type.Optional(Nullable(Type.String())),
  previous_response_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
  conversation: Type.Optional(Nullable(Type.Union([Type.String(), Type.Object({ id: Type.String() })]))),
  store: Type.Optional(Nullable(Type.Boolean())),
  stream: Type.Optional(Nullable(Type.Boolean())),
  stream_options: Type.Optional(Nullable(Type.Object({ include_obfuscation: Type.Optional(Type.Boolean()) }))),
  background: Type.Optional(Nullable(Type.Boolean())),
  max_output_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  max_tool_calls: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  metadata: Type.Optional(Nullable(Metadata)),
  parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
  temperature: Type.Optional(Nullable(Temperature)),
  top_p: Type.Optional(Nullable(TopP)),
  top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
  text: Type.Optional(ResponseTextConfig),
  tools: Type.Optional(Type.Array(ResponseTool, { maxItems: 128 })),
  tool_choice: Type.Optional(ResponseToolChoice),
  include: Type.Optional(Nullable(Type.Array(Type.String()))),
  truncation: Type.Optional(Nullable(Type.Union([Type.Literal('auto'), Type.Literal('disabled')]))),
  reasoning: Type.Optional(Nullable(Reasoning)),
  user: Type.Optional(Type.String()),
  safety_identifier: Type.Optional(Nullable(Type.String())),
  prompt_cache_key: Type.Optional(Nullable(Type.String())),
  prompt_cache_retention: Type.Optional(Nullable(Type.Union([Type.Literal('in_memory'), Type.Literal('24h')]))),
  service_tier: Type.Optional(Nullable(Type.String())),
})
export type ResponseCreateParams = Static<typeof ResponseCreateParams>

/** Token usage of a response. */
export const ResponseUsage = Type.Object({
  input_tokens: Type.Integer({ minimum: 0 }),
  input_tokens_details: Type.Object({
    cached_tokens: Type.Integer({ minimum: 0 }),
    cache_write_tokens: Type.Integer({ minimum: 0 }),
  }),
  output_tokens: Type.Integer({ minimum: 0 }),
  output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer({ minimum: 0 }) }),
  total_tokens: Type.Integer({ minimum: 0 }),
})
export type ResponseUsage = Static<typeof ResponseUsage>

/** Where a response stands. */
export const ResponseStatus = Type.Union([
  Type.Literal('queued'),
  Type.Literal('in_progress'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
  Type.Literal('incomplete'),
])
export type ResponseStatus = Static<typeof ResponseStatus>

/** A response. */
export const Response = Type.Object({
  id: Type.String(),
  object: Type.Literal('response'),
  created_at: UnixTime,
  status: ResponseStatus,
  background: Nullable(Type.Boolean()),
  completed_at: Nullable(UnixTime),
  access_programs: Type.Null(),
  error: Nullable(
    Type.Object({ code: Type.String(), message: Type.String(), param: Type.Optional(Nullable(Type.String())) }),
  ),
  incomplete_details: Nullable(Type.Object({ reason: Type.Union([Type.Literal('max_output_tokens')]) })),
  instructions: Nullable(Type.String()),
  max_output_tokens: Nullable(Type.Integer()),
  max_tool_calls: Nullable(Type.Integer()),
  metadata: Nullable(Metadata),
  model: Type.String(),
  output: Type.Array(ResponseOutputItem),
  parallel_tool_calls: Type.Boolean(),
  previous_response_id: Nullable(Type.String()),
  conversation: Nullable(Type.Object({ id: Type.String() })),
  reasoning: Nullable(Reasoning),
  store: Type.Boolean(),
  temperature: Nullable(Type.Number()),
  text: ResponseTextConfig,
  tool_choice: ResponseToolChoice,
  tools: Type.Array(ResponseFunctionTool),
  top_logprobs: Nullable(Type.Integer()),
  top_p: Nullable(Type.Number()),
  truncation: Type.Union([Type.Literal('auto'), Type.Literal('disabled')]),
  usage: Type.Optional(ResponseUsage),
  user: Type.Optional(Type.String()),
})
export type Response = Static<typeof Response>

/** DELETE /v1/responses/{response_id} reply. */
export const ResponseDeleted = Type.Object({
  id: Type.String(),
  object: Type.Literal('response'),
  deleted: Type.Boolean(),
})
export type ResponseDeleted = Static<typeof ResponseDeleted>

/** Path of /v1/responses/{response_id} and below. */
export const ResponsePath = Type.Object({ response_id: ResponseId })

/** GET /v1/responses/{response_id} query. */
export const ResponseRetrieveParams = Type.Object({
  include: Type.Optional(Type.Array(Type.String())),
  stream: Type.Optional(Type.Boolean()),
  starting_after: Type.Optional(Type.Integer({ minimum: 0 })),
})

/** GET /v1/responses/{response_id}/input_items query. */
export const InputItemListParams = Type.Object({
  after: Type.Optional(ItemId),
  limit: ListQuery.properties.limit,
  order: ListQuery.properties.order,
  include: Type.Optional(Type.Array(Type.String())),
})
export type InputItemListParams = Static<typeof InputItemListParams>

/** The input items page. */
export const ResponseItemList = ListResponse(ResponseItem)

/** POST /v1/responses/input_tokens body: what a create would send, counted, not run. */
export const InputTokenCountParams = Type.Object({
  model: Type.Optional(Nullable(Type.String())),
  input: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(ResponseInputItem)]))),
  instructions: Type.Optional(Nullable(Type.String())),
  previous_response_id: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
  conversation: Type.Optional(Nullable(Type.Union([Type.String(), Type.Object({ id: Type.String() })]))),
  tools: Type.Optional(Nullable(Type.Array(ResponseTool, { maxItems: 128 }))),
  tool_choice: Type.Optional(Nullable(ResponseToolChoice)),
  parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
  text: Type.Optional(Nullable(ResponseTextConfig)),
  reasoning: Type.Optional(Nullable(Reasoning)),
  truncation: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('disabled')])),
})
export type InputTokenCountParams = Static<typeof InputTokenCountParams>

/** POST /v1/responses/input_tokens reply. */
export const InputTokenCount = Type.Object({
  object: Type.Literal('response.input_tokens'),
  input_tokens: Type.Integer({ minimum: 0 }),
})
