import { Type, type Static } from 'typebox'
import { MAX_TOKEN_COUNT, MAX_TOP_LOGPROBS } from '../limits/limits.js'
import { FunctionDefinition, FunctionTool } from './assistants.js'
import { ChatCompletionMessageFunctionToolCall, ChatCompletionMessageParam } from './chat-messages.js'
import { CompletionUsage, Timings } from './completions.js'
import { ResponseFormat, SAMPLING_PROPERTIES } from './sampling.js'
import { Metadata, Nullable } from './shared.js'

/** A custom (free-form input) tool (parsed so the API can refuse it by name). */
export const ChatCompletionCustomTool = Type.Object({
  type: Type.Literal('custom'),
  custom: Type.Object({
    name: Type.String({ description: 'The name of the custom tool.' }),
    description: Type.Optional(Type.String()),
    format: Type.Optional(Type.Unknown({ description: 'The input format of the custom tool.' })),
  }),
})
export type ChatCompletionCustomTool = Static<typeof ChatCompletionCustomTool>

/** A tool the model may call. */
export const ChatCompletionTool = Type.Union([FunctionTool, ChatCompletionCustomTool])
export type ChatCompletionTool = Static<typeof ChatCompletionTool>

/** Forces a call of one function. */
export const ChatCompletionNamedToolChoice = Type.Object({
  type: Type.Literal('function'),
  function: Type.Object({ name: Type.String({ description: 'The name of the function to call.' }) }),
})
export type ChatCompletionNamedToolChoice = Static<typeof ChatCompletionNamedToolChoice>

/** Forces a call of one custom tool (parsed so the API can refuse it by name). */
export const ChatCompletionNamedToolChoiceCustom = Type.Object({
  type: Type.Literal('custom'),
  custom: Type.Object({ name: Type.String({ description: 'The name of the custom tool to call.' }) }),
})

/** Restricts the model to a subset of the tools (parsed so the API can refuse it by name). */
export const ChatCompletionAllowedToolChoice = Type.Object({
  type: Type.Literal('allowed_tools'),
  allowed_tools: Type.Object({
    mode: Type.Union([Type.Literal('auto'), Type.Literal('required')]),
    tools: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  }),
})

/** `'none' | 'auto' | 'required'` or a named tool. */
export const ChatCompletionToolChoiceOption = Type.Union(
  [
    Type.Literal('none'),
    Type.Literal('auto'),
    Type.Literal('required'),
    ChatCompletionNamedToolChoice,
    ChatCompletionNamedToolChoiceCustom,
    ChatCompletionAllowedToolChoice,
  ],
  { description: 'Which tool, if any, the model calls: none, auto, required, or a named function.' },
)
export type ChatCompletionToolChoiceOption = Static<typeof ChatCompletionToolChoiceOption>

const IGNORED = 'Accepted and ignored.'

const chatCreateProperties = {
  model: Type.String({ description: 'Id of the model to use.' }),
  messages: Type.Array(ChatCompletionMessageParam, { minItems: 1, description: 'The conversation so far.' }),
  ...SAMPLING_PROPERTIES,
  logprobs: Type.Optional(
    Nullable(Type.Boolean({ description: 'Whether to return the log probability of each output token.' })),
  ),
  top_logprobs: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 0,
        maximum: MAX_TOP_LOGPROBS,
        description: `How many most likely tokens to return at each position, 0 to ${MAX_TOP_LOGPROBS}; needs \`logprobs\`.`,
      }),
    ),
  ),
  max_tokens: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TOKEN_COUNT,
        description: 'Deprecated alias of `max_completion_tokens`.',
      }),
    ),
  ),
  max_completion_tokens: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TOKEN_COUNT,
        description: 'Upper bound on the number of tokens generated.',
      }),
    ),
  ),
  tools: Type.Optional(
    Type.Array(ChatCompletionTool, { maxItems: 128, description: 'Tools the model may call, at most 128.' }),
  ),
  tool_choice: Type.Optional(ChatCompletionToolChoiceOption),
  parallel_tool_calls: Type.Optional(
    Type.Boolean({ description: 'Whether the model may call several tools in one turn.' }),
  ),
  functions: Type.Optional(
    Type.Array(FunctionDefinition, { minItems: 1, maxItems: 128, description: 'Deprecated: use `tools`.' }),
  ),
  function_call: Type.Optional(
    Type.Union([Type.Literal('none'), Type.Literal('auto'), Type.Object({ name: Type.String() })], {
      description: 'Deprecated: use `tool_choice`.',
    }),
  ),
  response_format: Type.Optional(ResponseFormat),
  metadata: Type.Optional(Nullable(Metadata)),
  store: Type.Optional(Nullable(Type.Boolean({ description: IGNORED }))),
  modalities: Type.Optional(
    Nullable(
      Type.Array(Type.Union([Type.Literal('text'), Type.Literal('audio')]), {
        description: 'Output types; only text is produced.',
      }),
    ),
  ),
  audio: Type.Optional(Type.Unknown({ description: IGNORED })),
  moderation: Type.Optional(Type.Unknown({ description: IGNORED })),
  prediction: Type.Optional(Type.Unknown({ description: IGNORED })),
  prompt_cache_key: Type.Optional(Type.Unknown({ description: IGNORED })),
  prompt_cache_options: Type.Optional(Type.Unknown({ description: IGNORED })),
  prompt_cache_retention: Type.Optional(Type.Unknown({ description: IGNORED })),
  reasoning_effort: Type.Optional(Type.Unknown({ description: IGNORED })),
  safety_identifier: Type.Optional(Type.Unknown({ description: IGNORED })),
  service_tier: Type.Optional(Type.Unknown({ description: IGNORED })),
  verbosity: Type.Optional(Type.Unknown({ description: IGNORED })),
  web_search_options: Type.Optional(Type.Unknown({ description: IGNORED })),
}

/** POST /v1/chat/completions body without streaming. */
export const ChatCompletionCreateParamsNonStreaming = Type.Object({
  stream: Type.Optional(Nullable(Type.Literal(false, { description: 'Reply with one chat.completion object.' }))),
  ...chatCreateProperties,
})
export type ChatCompletionCreateParamsNonStreaming = Static<typeof ChatCompletionCreateParamsNonStreaming>

/** POST /v1/chat/completions body with `stream: true`. */
export const ChatCompletionCreateParamsStreaming = Type.Object({
  stream: Type.Literal(true, { description: 'Reply with server-sent chat.completion.chunk events, then `[DONE]`.' }),
  ...chatCreateProperties,
})
export type ChatCompletionCreateParamsStreaming = Static<typeof ChatCompletionCreateParamsStreaming>

/** POST /v1/chat/completions body. */
export const ChatCompletionCreateParams = Type.Union([
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
])
export type ChatCompletionCreateParams = Static<typeof ChatCompletionCreateParams>

const TopLogprob = Type.Object({
  token: Type.String({ description: 'The token.' }),
  bytes: Nullable(
    Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { description: 'The UTF-8 bytes of the token.' }),
  ),
  logprob: Type.Number({ description: 'The log probability of the token.' }),
})

/** One output token with its log probability and the most likely alternatives. */
export const ChatCompletionTokenLogprob = Type.Object({
  ...TopLogprob.properties,
  top_logprobs: Type.Array(TopLogprob, { description: 'The most likely tokens at this position.' }),
})
export type ChatCompletionTokenLogprob = Static<typeof ChatCompletionTokenLogprob>

/** Log probabilities of a choice's content and refusal tokens. */
export const ChatCompletionChoiceLogprobs = Type.Object({
  content: Nullable(Type.Array(ChatCompletionTokenLogprob)),
  refusal: Nullable(Type.Array(ChatCompletionTokenLogprob)),
})
export type ChatCompletionChoiceLogprobs = Static<typeof ChatCompletionChoiceLogprobs>

/** Why a choice stopped. */
export const ChatCompletionFinishReason = Type.Union(
  [
    Type.Literal('stop'),
    Type.Literal('length'),
    Type.Literal('tool_calls'),
    Type.Literal('content_filter'),
    Type.Literal('function_call'),
  ],
  { description: 'stop: natural end or a stop sequence; length: token limit; tool_calls: the model called tools.' },
)
export type ChatCompletionFinishReason = Static<typeof ChatCompletionFinishReason>

/** The message the model generated. */
export const ChatCompletionMessage = Type.Object({
  role: Type.Literal('assistant'),
  content: Nullable(Type.String({ description: 'The generated text.' })),
  refusal: Nullable(Type.String({ description: 'The refusal message, if the model refused.' })),
  tool_calls: Type.Optional(
    Type.Array(ChatCompletionMessageFunctionToolCall, { description: 'The tool calls the model made.' }),
  ),
})
export type ChatCompletionMessage = Static<typeof ChatCompletionMessage>

const completionHead = {
  id: Type.String({ description: 'The id of the completion; every chunk of a stream has the same id.' }),
  created: Type.Integer({ minimum: 0, description: 'Unix time in seconds when the completion was created.' }),
  model: Type.String({ description: 'The model that generated the completion.' }),
  system_fingerprint: Type.Optional(
    Type.String({ description: 'The backend configuration that generated the completion.' }),
  ),
  timings: Type.Optional(Timings),
}

/** A chat completion. */
export const ChatCompletion = Type.Object({
  ...completionHead,
  object: Type.Literal('chat.completion'),
  choices: Type.Array(
    Type.Object({
      index: Type.Integer({ minimum: 0 }),
      message: ChatCompletionMessage,
      logprobs: Nullable(ChatCompletionChoiceLogprobs),
      finish_reason: ChatCompletionFinishReason,
    }),
  ),
  usage: Type.Optional(CompletionUsage),
})
export type ChatCompletion = Static<typeof ChatCompletion>

/** A fragment of a tool call in a chunk, merged by `index`. */
export const ChatCompletionChunkToolCall = Type.Object({
  index: Type.Integer({ minimum: 0, description: 'Which tool call this fragment belongs to.' }),
  id: Type.Optional(Type.String({ description: 'The id of the tool call (first fragment only).' })),
  type: Type.Optional(Type.Literal('function')),
  function: Type.Optional(
    Type.Object({
      name: Type.Optional(Type.String({ description: 'The function name (first fragment only).' })),
      arguments: Type.Optional(Type.String({ description: 'The next piece of the arguments JSON.' })),
    }),
  ),
})
export type ChatCompletionChunkToolCall = Static<typeof ChatCompletionChunkToolCall>

/** A streamed piece of a chat completion. */
export const ChatCompletionChunk = Type.Object({
  ...completionHead,
  object: Type.Literal('chat.completion.chunk'),
  choices: Type.Array(
    Type.Object({
      index: Type.Integer({ minimum: 0 }),
      delta: Type.Object({
        role: Type.Optional(Type.Literal('assistant')),
        content: Type.Optional(Nullable(Type.String({ description: 'The next piece of text.' }))),
        refusal: Type.Optional(Nullable(Type.String())),
        tool_calls: Type.Optional(Type.Array(ChatCompletionChunkToolCall)),
      }),
      logprobs: Type.Optional(Nullable(ChatCompletionChoiceLogprobs)),
      finish_reason: Nullable(ChatCompletionFinishReason),
    }),
    { description: 'Empty in the last chunk of a stream with `include_usage`.' },
  ),
  usage: Type.Optional(Nullable(CompletionUsage)),
})
export type ChatCompletionChunk = Static<typeof ChatCompletionChunk>
