import { randomBytes } from 'node:crypto'
import type { Engine } from '../engine.js'
import { EngineError } from '../errors.js'
import { mergeAsync } from './merge.js'
import { choiceCount, formatBody, samplingBody } from './params.js'
import { readPieces, sumUsage } from './raw-chunks.js'
import type {
  CallOptions,
  CompletionChunk,
  CompletionLogprobs,
  CompletionRequest,
  FinishReason,
  Timings,
  TokenLogprob,
  Usage,
} from '../types.js'

/** Options for a text completion: the model name to report and an abort signal. */
export interface CompletionOptions extends CallOptions {
  model: string
}

type Event = {
  index: number
  text: string
  logprobs: TokenLogprob[]
  end?: { finish: FinishReason; usage?: Usage | undefined; timings?: Timings | undefined }
}

/** Runs a text completion and streams OpenAI-shaped chunks, ending with a `choices: []` chunk with usage and timings. */
export async function* textCompletion(
  engine: Engine,
  request: CompletionRequest,
  options: CompletionOptions,
): AsyncGenerator<CompletionChunk> {
  if (typeof request.prompt !== 'string')
    throw new EngineError('invalid_request', "'prompt' must be a string", 'prompt')
  const n = choiceCount(request.n)
  const topN = request.logprobs ?? null
  if (topN !== null && (!Number.isInteger(topN) || topN < 0 || topN > 20))
    throw new EngineError('invalid_request', "'logprobs' must be an integer from 0 to 20", 'logprobs')
  const body = {
    prompt: request.prompt,
    stream: true,
    stream_options: { include_usage: true },
    ...(topN !== null ? { n_probs: Math.max(topN, 1) } : {}),
    ...formatBody(request.response_format, request.grammar !== undefined),
  }
  const base = {
    id: `cmpl-${randomBytes(12).toString('base64url')}`,
    object: 'text_completion' as const,
    created: Math.floor(Date.now() / 1000),
    model: options.model,
    system_fingerprint: `fp_oxillama_${engine.build}`,
  }
  const ends: { usage?: Usage | undefined; timings?: Timings | undefined }[] = []
  const offsets = new Array<number>(n).fill(request.prompt.length)
  const choices = Array.from({ length: n }, (_, index) =>
    choiceEvents(engine, index, { ...body, ...samplingBody(request, engine.model.nVocab, index) }, request, options),
  )
  for await (const event of mergeAsync(choices)) {
    if (event.end) ends[event.index] = event.end
    const logprobs = topN !== null ? legacyLogprobs(event.logprobs, topN, offsets, event.index) : null
    yield {
      ...base,
      choices: [{ index: event.index, text: event.text, logprobs, finish_reason: event.end?.finish ?? null }],
    }
  }
  yield { ...base, choices: [], ...sumUsage(ends) }
}

async function* choiceEvents(
  engine: Engine,
  index: number,
  body: Record<string, unknown>,
  request: CompletionRequest,
  options: CallOptions,
): AsyncGenerator<Event> {
  let finish: FinishReason | undefined
  let usage: Usage | undefined
  let timings: Timings | undefined
  let tokens = 0
  for await (const piece of readPieces(
    engine.run('completion', { is_chat: false, data_json: JSON.stringify(body) }, options),
  )) {
    finish = piece.finish ?? finish
    usage = piece.usage ?? usage
    timings = piece.timings ?? timings
    if (piece.text || piece.logprobs.length) {
      tokens++
      yield { index, text: piece.text, logprobs: piece.logprobs }
    }
  }
  finish ??= request.max_tokens != null && tokens >= request.max_tokens ? 'length' : 'stop'
  yield { index, text: '', logprobs: [], end: { finish, usage, timings } }
}

function legacyLogprobs(items: TokenLogprob[], topN: number, offsets: number[], index: number): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] }
  for (const item of items) {
    out.tokens.push(item.token)
    out.token_logprobs.push(item.logprob)
    out.top_logprobs.push(Object.fromEntries(item.top_logprobs.slice(0, topN).map((t) => [t.token, t.logprob])))
    out.text_offset.push(offsets[index] as number)
    offsets[index] = (offsets[index] as number) + item.token.length
  }
  return out
}
