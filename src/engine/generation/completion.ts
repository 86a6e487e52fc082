import type { Engine } from '../engine.js'
import { EngineError } from '../errors.js'
import { mergeAsync } from './merge.js'
import { observeGeneration } from './observe.js'
import { choiceCount, completionLogprobsCount, formatBody, samplingBody } from './params.js'
import { readPieces, sumUsage } from './raw-chunks.js'
import type { CallOptions, CompletionRequest, FinishReason, GenerationEvent, Timings, Usage } from '../types.js'

type End = { usage?: Usage | undefined; timings?: Timings | undefined }

/**
 * Runs a text completion and streams its events: per choice its text pieces (with the tokens' logprobs when asked
 * for, `n_probs` candidates each) and a finish, then one usage event summed over the choices.
 */
export function textCompletion(
  engine: Engine,
  request: CompletionRequest,
  options: CallOptions = {},
): AsyncGenerator<GenerationEvent> {
  return observeGeneration(engine, options, completionEvents(engine, request, options))
}

async function* completionEvents(
  engine: Engine,
  request: CompletionRequest,
  options: CallOptions,
): AsyncGenerator<GenerationEvent> {
  if (typeof request.prompt !== 'string')
    throw new EngineError('invalid_request', "'prompt' must be a string", 'prompt')
  const n = choiceCount(request.n)
  const topN = completionLogprobsCount(request.logprobs)
  const body = {
    prompt: request.prompt,
    stream: true,
    stream_options: { include_usage: true },
    ...(topN !== null ? { n_probs: Math.max(topN, 1) } : {}),
    ...formatBody(request.response_format, request.grammar !== undefined),
  }
  const ends: End[] = []
  const choices = Array.from({ length: n }, (_, index) =>
    choiceEvents(
      engine,
      index,
      { ...body, ...samplingBody(request, engine.model.nVocab, index) },
      { request, ends },
      options,
    ),
  )
  yield* mergeAsync(choices)
  yield { type: 'usage', ...sumUsage(ends) }
}

async function* choiceEvents(
  engine: Engine,
  index: number,
  body: Record<string, unknown>,
  { request, ends }: { request: CompletionRequest; ends: End[] },
  options: CallOptions,
): AsyncGenerator<GenerationEvent> {
  let finish: FinishReason | undefined
  const end: End = {}
  let tokens = 0
  for await (const piece of readPieces(
    engine.run('completion', { is_chat: false, data_json: JSON.stringify(body) }, options),
  )) {
    finish = piece.finish ?? finish
    end.usage = piece.usage ?? end.usage
    end.timings = piece.timings ?? end.timings
    if (piece.text || piece.logprobs.length) {
      tokens++
      const logprobs = piece.logprobs.length ? { logprobs: piece.logprobs } : {}
      yield { type: 'text', choice: index, text: piece.text, ...logprobs }
    }
  }
  ends[index] = end
  finish ??= request.max_tokens != null && tokens >= request.max_tokens ? 'length' : 'stop'
  yield { type: 'finish', choice: index, reason: finish }
}
