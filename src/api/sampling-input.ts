import type { SamplingParams } from '../engine/types.js'

/** The sampling fields chat and text completions share, passed to the engine as the request sent them. */
export type SamplingInput = Pick<
  SamplingParams,
  | 'temperature'
  | 'top_p'
  | 'top_k'
  | 'min_p'
  | 'seed'
  | 'stop'
  | 'presence_penalty'
  | 'frequency_penalty'
  | 'repeat_penalty'
  | 'logit_bias'
>

/** Copies the shared sampling fields of a chat or completions body. */
export function samplingOf(body: SamplingInput): SamplingInput {
  return {
    temperature: body.temperature,
    top_p: body.top_p,
    top_k: body.top_k,
    min_p: body.min_p,
    seed: body.seed,
    stop: body.stop,
    presence_penalty: body.presence_penalty,
    frequency_penalty: body.frequency_penalty,
    repeat_penalty: body.repeat_penalty,
    logit_bias: body.logit_bias,
  }
}
