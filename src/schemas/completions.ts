import { Type, type Static } from 'typebox'
import { MAX_COMPLETION_LOGPROBS, MAX_TOKEN_COUNT } from '../limits/limits.js'
import { ResponseFormat, SAMPLING_PROPERTIES } from './sampling.js'
import { Nullable } from './shared.js'

const count = (description: string) => Type.Integer({ minimum: 0, description })

/** Token counts of one request. */
export const CompletionUsage = Type.Object({
  prompt_tokens: count('Tokens in the prompt.'),
  completion_tokens: count('Tokens generated.'),
  total_tokens: count('Prompt plus generated tokens.'),
  completion_tokens_details: Type.Optional(
    Type.Object({
      accepted_prediction_tokens: Type.Optional(count('Predicted tokens that appeared in the completion.')),
      audio_tokens: Type.Optional(count('Audio tokens generated.')),
      reasoning_tokens: Type.Optional(count('Tokens generated for reasoning.')),
      rejected_prediction_tokens: Type.Optional(count('Predicted tokens that did not appear in the completion.')),
      text_tokens: Type.Optional(count('Text tokens generated.')),
    }),
  ),
  prompt_tokens_details: Type.Optional(
    Type.Object({
      audio_tokens: Type.Optional(count('Audio tokens in the prompt.')),
      cache_write_tokens: Type.Optional(count('Prompt tokens written to the cache.')),
      cached_tokens: Type.Optional(count('Prompt tokens reused from the cache.')),
      image_tokens: Type.Optional(count('Image tokens in the prompt.')),
      text_tokens: Type.Optional(count('Text tokens in the prompt.')),
    }),
  ),
})
export type CompletionUsage = Static<typeof CompletionUsage>

/** llama.cpp extension: prompt processing and generation timings of one request. */
export const Timings = Type.Object(
  {
    prompt_n: count('Prompt tokens evaluated (not taken from the cache).'),
    prompt_ms: Type.Number({ minimum: 0, description: 'Milliseconds spent on the prompt.' }),
    prompt_per_second: Type.Number({ minimum: 0, description: 'Prompt tokens per second.' }),
    predicted_n: count('Tokens generated.'),
    predicted_ms: Type.Number({ minimum: 0, description: 'Milliseconds spent generating.' }),
    predicted_per_second: Type.Number({ minimum: 0, description: 'Generated tokens per second.' }),
    prompt_per_token_ms: Type.Optional(Type.Number({ minimum: 0 })),
    predicted_per_token_ms: Type.Optional(Type.Number({ minimum: 0 })),
    cache_n: Type.Optional(count('Prompt tokens reused from the cache.')),
  },
  { description: 'llama.cpp extension: timings of the request.' },
)
export type Timings = Static<typeof Timings>

const TokenIds = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 })

/** A prompt: text, texts, token ids, or token id arrays. */
export const CompletionPrompt = Type.Union(
  [Type.String(), Type.Array(Type.String(), { minItems: 1 }), TokenIds, Type.Array(TokenIds, { minItems: 1 })],
  {
    description: 'The prompt(s): a string, an array of strings, an array of token ids, or an array of token id arrays.',
  },
)
export type CompletionPrompt = Static<typeof CompletionPrompt>

const completionCreateProperties = {
  model: Type.String({ description: 'Id of the model to use.' }),
  prompt: Nullable(CompletionPrompt),
  ...SAMPLING_PROPERTIES,
  best_of: Type.Optional(
    Nullable(Type.Integer({ minimum: 0, maximum: 20, description: 'Candidates generated server-side, 0 to 20.' })),
  ),
  echo: Type.Optional(Nullable(Type.Boolean({ description: 'Return the prompt before the completion.' }))),
  logprobs: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 0,
        maximum: MAX_COMPLETION_LOGPROBS,
        description: `Return the log probabilities of this many most likely tokens, 0 to ${MAX_COMPLETION_LOGPROBS}.`,
      }),
    ),
  ),
  max_tokens: Type.Optional(
    Nullable(Type.Integer({ minimum: 0, maximum: MAX_TOKEN_COUNT, description: 'Maximum tokens to generate.' })),
  ),
  suffix: Type.Optional(Nullable(Type.String({ description: 'Text after the completion (insertion).' }))),
  response_format: Type.Optional(ResponseFormat),
}

/** POST /v1/completions body without streaming. */
export const CompletionCreateParamsNonStreaming = Type.Object({
  stream: Type.Optional(Nullable(Type.Literal(false, { description: 'Reply with one text_completion object.' }))),
  ...completionCreateProperties,
})
export type CompletionCreateParamsNonStreaming = Static<typeof CompletionCreateParamsNonStreaming>

/** POST /v1/completions body with `stream: true`. */
export const CompletionCreateParamsStreaming = Type.Object({
  stream: Type.Literal(true, { description: 'Reply with server-sent text_completion events, then `[DONE]`.' }),
  ...completionCreateProperties,
})
export type CompletionCreateParamsStreaming = Static<typeof CompletionCreateParamsStreaming>

/** POST /v1/completions body. */
export const CompletionCreateParams = Type.Union([CompletionCreateParamsNonStreaming, CompletionCreateParamsStreaming])
export type CompletionCreateParams = Static<typeof CompletionCreateParams>

/** Legacy log probabilities of a text completion choice. */
export const CompletionLogprobs = Type.Object({
  tokens: Type.Optional(Type.Array(Type.String(), { description: 'The tokens.' })),
  token_logprobs: Type.Optional(Type.Array(Type.Number(), { description: 'The log probability of each token.' })),
  top_logprobs: Type.Optional(
    Type.Array(Type.Record(Type.String(), Type.Number()), { description: 'The most likely tokens at each position.' }),
  ),
  text_offset: Type.Optional(
    Type.Array(Type.Integer({ minimum: 0 }), { description: 'The character offset of each token in the text.' }),
  ),
})
export type CompletionLogprobs = Static<typeof CompletionLogprobs>

/** Why a text completion choice stopped. */
export const CompletionFinishReason = Type.Union(
  [Type.Literal('stop'), Type.Literal('length'), Type.Literal('content_filter')],
  {
    description: 'stop: natural end or a stop sequence; length: token limit.',
  },
)
export type CompletionFinishReason = Static<typeof CompletionFinishReason>

const choiceProperties = {
  index: Type.Integer({ minimum: 0 }),
  text: Type.String({ description: 'The generated text (or its next piece in a stream).' }),
  logprobs: Nullable(CompletionLogprobs),
}

/** One choice of a text completion. */
export const CompletionChoice = Type.Object({ ...choiceProperties, finish_reason: CompletionFinishReason })
export type CompletionChoice = Static<typeof CompletionChoice>

const completionHead = {
  id: Type.String({ description: 'The id of the completion; every chunk of a stream has the same id.' }),
  object: Type.Literal('text_completion'),
  created: Type.Integer({ minimum: 0, description: 'Unix time in seconds when the completion was created.' }),
  model: Type.String({ description: 'The model that generated the completion.' }),
  system_fingerprint: Type.Optional(
    Type.String({ description: 'The backend configuration that generated the completion.' }),
  ),
  timings: Type.Optional(Timings),
}

/** A text completion. */
export const Completion = Type.Object({
  ...completionHead,
  choices: Type.Array(CompletionChoice),
  usage: Type.Optional(CompletionUsage),
})
export type Completion = Static<typeof Completion>

/** A streamed piece of a text completion (same `object` as the whole). */
export const CompletionChunk = Type.Object({
  ...completionHead,
  choices: Type.Array(Type.Object({ ...choiceProperties, finish_reason: Nullable(CompletionFinishReason) }), {
    description: 'Empty in the last chunk of a stream with `include_usage`.',
  }),
  usage: Type.Optional(Nullable(CompletionUsage)),
})
export type CompletionChunk = Static<typeof CompletionChunk>
