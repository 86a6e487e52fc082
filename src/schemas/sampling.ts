import { Type, type Static } from 'typebox'
import { ResponseFormatJsonSchema, Temperature, TopP } from './assistants.js'
import { Nullable } from './shared.js'
import {
  LOGIT_BIAS_LIMIT,
  MAX_CHOICES,
  MAX_REPEAT_PENALTY,
  MAX_SEED,
  MAX_STOP_SEQUENCES,
  MAX_TOKEN_COUNT,
  PENALTY_LIMIT,
} from '../limits/limits.js'

/** Streaming options: `include_usage` adds a last chunk with `choices: []` and the usage. */
export const ChatCompletionStreamOptions = Type.Object({
  include_usage: Type.Optional(
    Type.Boolean({ description: 'Send a last chunk with `choices: []` and the token usage.' }),
  ),
  include_obfuscation: Type.Optional(Type.Boolean({ description: 'Accepted and ignored.' })),
})
export type ChatCompletionStreamOptions = Static<typeof ChatCompletionStreamOptions>

/** Up to MAX_STOP_SEQUENCES stop sequences, or one. */
export const Stop = Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: MAX_STOP_SEQUENCES })], {
  description: `Up to ${MAX_STOP_SEQUENCES} sequences where generation stops; the text returned does not contain them.`,
})
export type Stop = Static<typeof Stop>

/** Token id (as a decimal string) to a bias from -100 to 100 added to its logit. */
export const LogitBias = Type.Record(
  Type.String(),
  Type.Number({ minimum: -LOGIT_BIAS_LIMIT, maximum: LOGIT_BIAS_LIMIT }),
  {
    propertyNames: Type.String({ pattern: '^[0-9]+$' }),
    description: `Map of token ids (decimal strings) to a bias from -${LOGIT_BIAS_LIMIT} to ${LOGIT_BIAS_LIMIT} added to the logits before sampling.`,
  },
)
export type LogitBias = Static<typeof LogitBias>

/** `{type:'text'}`, `{type:'json_object'}` or `{type:'json_schema', json_schema}`. */
export const ResponseFormat = Type.Union(
  [
    Type.Object({ type: Type.Literal('text') }),
    Type.Object({ type: Type.Literal('json_object') }),
    ResponseFormatJsonSchema,
  ],
  { description: 'The format the output must follow: text, any JSON object, or JSON matching a schema.' },
)
export type ResponseFormat = Static<typeof ResponseFormat>

/**
 * Request fields shared by chat and text completions: OpenAI's sampling settings plus the llama.cpp
 * extensions the engine supports (`top_k`, `min_p`, `repeat_penalty`, `grammar`, `ignore_eos`).
 */
export const SAMPLING_PROPERTIES = {
  frequency_penalty: Type.Optional(
    Nullable(
      Type.Number({
        minimum: -PENALTY_LIMIT,
        maximum: PENALTY_LIMIT,
        description: `Between -${PENALTY_LIMIT} and ${PENALTY_LIMIT}; positive values penalise tokens by how often they already occur.`,
      }),
    ),
  ),
  presence_penalty: Type.Optional(
    Nullable(
      Type.Number({
        minimum: -PENALTY_LIMIT,
        maximum: PENALTY_LIMIT,
        description: `Between -${PENALTY_LIMIT} and ${PENALTY_LIMIT}; positive values penalise tokens that already occur.`,
      }),
    ),
  ),
  logit_bias: Type.Optional(Nullable(LogitBias)),
  n: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 1,
        maximum: MAX_CHOICES,
        description: `How many choices to generate, 1 to ${MAX_CHOICES}.`,
      }),
    ),
  ),
  seed: Type.Optional(
    Nullable(Type.Integer({ minimum: -MAX_SEED, maximum: MAX_SEED, description: 'Seed for deterministic sampling.' })),
  ),
  stop: Type.Optional(Nullable(Stop)),
  stream_options: Type.Optional(Nullable(ChatCompletionStreamOptions)),
  temperature: Type.Optional(Nullable(Temperature)),
  top_p: Type.Optional(Nullable(TopP)),
  user: Type.Optional(Type.String({ description: 'End-user identifier; accepted and ignored.' })),
  top_k: Type.Optional(
    Nullable(
      Type.Integer({
        minimum: 0,
        maximum: MAX_TOKEN_COUNT,
        description: 'llama.cpp: sample from the k most likely tokens; 0 disables.',
      }),
    ),
  ),
  min_p: Type.Optional(
    Nullable(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'llama.cpp: drop tokens less likely than min_p times the most likely one.',
      }),
    ),
  ),
  repeat_penalty: Type.Optional(
    Nullable(
      Type.Number({
        minimum: 0,
        maximum: MAX_REPEAT_PENALTY,
        description: `llama.cpp: penalty for repeating recent tokens, 0 to ${MAX_REPEAT_PENALTY}; 1 disables.`,
      }),
    ),
  ),
  grammar: Type.Optional(Type.String({ description: 'llama.cpp: a GBNF grammar the output must follow.' })),
  ignore_eos: Type.Optional(
    Type.Boolean({ description: 'llama.cpp: keep generating past the end-of-sequence token.' }),
  ),
}
