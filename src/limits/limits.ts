// Request bounds, declared once. The typebox schemas publish and enforce them on the wire; the engine checks the
// same constants, since requests reach it from other paths too (runs, tests, benchmarks). This module imports
// nothing, so every server layer may import it.

/** Choices per request (`n`). OpenAI allows 128; every choice takes an engine slot, so this server allows 16. */
export const MAX_CHOICES = 16
/** Stop sequences per request, as OpenAI. */
export const MAX_STOP_SEQUENCES = 4
/** A logit bias lies between -LOGIT_BIAS_LIMIT and LOGIT_BIAS_LIMIT. */
export const LOGIT_BIAS_LIMIT = 100
/** Chat `top_logprobs`: candidates listed per token. */
export const MAX_TOP_LOGPROBS = 20
/** Legacy completions `logprobs`: candidates listed per token. */
export const MAX_COMPLETION_LOGPROBS = 5
/** Sampling temperature, from 0. */
export const MAX_TEMPERATURE = 2
/** Presence and frequency penalties lie between -PENALTY_LIMIT and PENALTY_LIMIT. */
export const PENALTY_LIMIT = 2
/** llama.cpp's repeat penalty, from 0 (1 disables it). */
export const MAX_REPEAT_PENALTY = 10
/** Token counts (`max_tokens`, `top_k`): llama.cpp reads them as 32-bit signed integers. */
export const MAX_TOKEN_COUNT = 2 ** 31 - 1
/** A seed lies between -MAX_SEED and MAX_SEED: integers a JSON number carries exactly. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER
