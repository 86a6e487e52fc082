import {
  LOGIT_BIAS_LIMIT,
  MAX_CHOICES,
  MAX_COMPLETION_LOGPROBS,
  MAX_REPEAT_PENALTY,
  MAX_SEED,
  MAX_STOP_SEQUENCES,
  MAX_TEMPERATURE,
  MAX_TOKEN_COUNT,
  MAX_TOP_LOGPROBS,
  PENALTY_LIMIT,
} from '../../limits/limits.js'
import { EngineError } from '../errors.js'
import type { ResponseFormat, SamplingParams } from '../types.js'

// The C++ side throws on a malformed field (and a throw there costs the whole call), so every value is checked here
// and only known fields, with the types llama.cpp expects, are passed on.

function fail(param: string, message: string): never {
  throw new EngineError('invalid_request', message, param)
}

function num(value: unknown, param: string, min: number, max: number, integer = false): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(param, `'${param}' must be a number`)
  if (integer && !Number.isInteger(value)) fail(param, `'${param}' must be an integer`)
  if (value < min || value > max) fail(param, `'${param}' must be between ${min} and ${max}, got ${value}`)
  return value
}

/** Checks the shared sampling fields and maps them to llama.cpp's request fields. */
export function samplingBody(params: SamplingParams, nVocab: number, choice: number): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  const maxTokens = num(params.max_tokens, 'max_tokens', 0, MAX_TOKEN_COUNT, true)
  body.n_predict = maxTokens ?? -1
  const set = (key: string, value: number | undefined): void => {
    if (value !== undefined) body[key] = value
  }
  set('temperature', num(params.temperature, 'temperature', 0, MAX_TEMPERATURE))
  set('top_p', num(params.top_p, 'top_p', 0, 1))
  set('top_k', num(params.top_k, 'top_k', 0, MAX_TOKEN_COUNT, true))
  set('min_p', num(params.min_p, 'min_p', 0, 1))
  set('presence_penalty', num(params.presence_penalty, 'presence_penalty', -PENALTY_LIMIT, PENALTY_LIMIT))
  set('frequency_penalty', num(params.frequency_penalty, 'frequency_penalty', -PENALTY_LIMIT, PENALTY_LIMIT))
  set('repeat_penalty', num(params.repeat_penalty, 'repeat_penalty', 0, MAX_REPEAT_PENALTY))
  const seed = num(params.seed, 'seed', -MAX_SEED, MAX_SEED, true)
  // llama.cpp seeds are uint32; n > 1 with one seed must still give different choices
  if (seed !== undefined) body.seed = (((seed + choice) % 2 ** 32) + 2 ** 32) % 2 ** 32
  if (params.stop !== undefined && params.stop !== null) {
    const stop = typeof params.stop === 'string' ? [params.stop] : params.stop
    if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string'))
      fail('stop', "'stop' must be a string or an array of strings")
    if (stop.length > MAX_STOP_SEQUENCES) fail('stop', `'stop' may hold at most ${MAX_STOP_SEQUENCES} sequences`)
    body.stop = stop.filter((s) => s.length > 0)
  }
  if (params.logit_bias !== undefined && params.logit_bias !== null) {
    const bias: [number, number][] = []
    if (typeof params.logit_bias !== 'object' || Array.isArray(params.logit_bias))
      fail('logit_bias', "'logit_bias' must be an object of token ids to biases")
    for (const [key, value] of Object.entries(params.logit_bias)) {
      const id = Number(key)
      if (!/^\d+$/.test(key) || id >= nVocab)
        fail(`logit_bias.${key}`, `'logit_bias' key '${key}' is not a token id of this model (0..${nVocab - 1})`)
      bias.push([id, num(value, `logit_bias.${key}`, -LOGIT_BIAS_LIMIT, LOGIT_BIAS_LIMIT) as number])
    }
    body.logit_bias = bias
  }
  if (params.grammar !== undefined) {
    if (typeof params.grammar !== 'string') fail('grammar', "'grammar' must be a GBNF string")
    body.grammar = params.grammar
  }
  if (params.ignore_eos) body.ignore_eos = true
  if (params.cache_prompt === false) body.cache_prompt = false
  return body
}

/** The number of choices asked for (n). */
export function choiceCount(n: number | null | undefined): number {
  return num(n, 'n', 1, MAX_CHOICES, true) ?? 1
}

/** The chat `top_logprobs` asked for (0 when absent). */
export function topLogprobsCount(value: number | null | undefined): number {
  return num(value, 'top_logprobs', 0, MAX_TOP_LOGPROBS, true) ?? 0
}

/** The legacy completions `logprobs` asked for, or null for none. */
export function completionLogprobsCount(value: number | null | undefined): number | null {
  return num(value, 'logprobs', 0, MAX_COMPLETION_LOGPROBS, true) ?? null
}

/** Maps response_format to llama.cpp's json_schema field (enforced by a grammar). */
export function formatBody(format: ResponseFormat | undefined, hasGrammar: boolean): Record<string, unknown> {
  if (!format || format.type === 'text') return {}
  if (hasGrammar) fail('response_format', "'response_format' and 'grammar' cannot be used together")
  if (format.type === 'json_object') return { json_schema: { type: 'object' } }
  if (format.type === 'json_schema') {
    const schema = format.json_schema?.schema
    if (schema !== undefined && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
      fail('response_format.json_schema.schema', "'response_format.json_schema.schema' must be a JSON schema object")
    }
    return { json_schema: schema ?? { type: 'object' } }
  }
  fail('response_format.type', `Unknown 'response_format.type'`)
}
