import { laneOf } from './lane.js'
import { textCompletion } from '../engine/generation/completion.js'
import type { Engine } from '../engine/engine.js'
import { mergeAsync } from '../engine/generation/merge.js'
import type { CompletionRequest, GenerationEvent, Timings, Usage } from '../engine/types.js'
import { BadRequestError } from '../http/errors.js'
import { sse } from '../http/reply.js'
import type { Router } from '../http/router.js'
import { Completion, CompletionCreateParams } from '../schemas/completions.js'
import { checkModelName, requireEngine, type ApiDeps } from './deps.js'
import { chunkErrorEvent, chunkEvents, openStream } from './chunk-stream.js'
import { collectCompletion, completionChunks, type CompletionReplyOptions } from './completion-reply.js'
import { replyHead } from './reply-head.js'
import { samplingOf } from './sampling-input.js'

// OpenAI's legacy completions stop at 16 tokens unless told otherwise
const DEFAULT_MAX_TOKENS = 16

/** Registers POST /v1/completions. */
export function registerCompletions(router: Router, deps: ApiDeps): void {
  router.post(
    '/v1/completions',
    { body: CompletionCreateParams, response: Completion, summary: 'Creates a text completion', inputParam: 'prompt' },
    async (c) => {
      const body = c.body
      checkModelName(deps, body.model)
      const engine = requireEngine(deps)
      if (body.suffix)
        throw new BadRequestError("'suffix' (insertion) is not supported by this server", { param: 'suffix' })
      const n = body.n ?? 1
      if (body.best_of != null && body.best_of > n)
        throw new BadRequestError("'best_of' greater than 'n' is not supported by this server", { param: 'best_of' })
      const prompts = promptTexts(engine, body.prompt)
      const request: Omit<CompletionRequest, 'prompt'> = {
        max_tokens: body.max_tokens ?? DEFAULT_MAX_TOKENS,
        logprobs: body.logprobs ?? null,
        ...samplingOf(body),
        n,
        response_format: body.response_format as CompletionRequest['response_format'],
        ...(body.grammar !== undefined ? { grammar: body.grammar } : {}),
        ...(body.ignore_eos ? { ignore_eos: true } : {}),
      }
      const events = allPrompts(engine, prompts, request, { signal: c.signal, n, lane: laneOf(c.request) })
      const head = replyHead(engine, { prefix: 'cmpl', model: body.model })
      const reply: CompletionReplyOptions = { prompts, n, echo: body.echo === true, topN: body.logprobs ?? null }
      if (!body.stream) return await collectCompletion(events, head, reply)
      const chunks = completionChunks(events, head, reply)
      const opened = await openStream(chunks) // errors before the first chunk still get a proper status code
      const includeUsage = body.stream_options?.include_usage === true
      return sse(chunkEvents(opened, chunks, { includeUsage, onUsage: (total) => c.usedTokens(total) }), {
        errorEvent: chunkErrorEvent,
      })
    },
  )
}

function promptTexts(engine: Engine, prompt: CompletionCreateParams['prompt']): string[] {
  if (prompt === null) throw new BadRequestError("Missing required parameter: 'prompt'.", { param: 'prompt' })
  if (typeof prompt === 'string') return [prompt]
  if (prompt.length > 0 && typeof prompt[0] === 'number') return [detokenize(engine, prompt as number[], 'prompt')]
  return (prompt as (string | number[])[]).map((p, i) =>
    typeof p === 'string' ? p : detokenize(engine, p, `prompt[${i}]`),
  )
}

// The engine takes text only (wllama rejects token-id prompts), so ids become text with the model's own tokenizer
function detokenize(engine: Engine, ids: number[], param: string): string {
  const bad = ids.findIndex((id) => id >= engine.tokenizer.vocabSize)
  if (bad >= 0)
    throw new BadRequestError(
      `Token id ${ids[bad]} is outside the model's vocabulary (0..${engine.tokenizer.vocabSize - 1})`,
      { param: `${param}[${bad}]` },
    )
  return engine.tokenizer.detokenize(ids, { removeSpecial: true })
}

// Runs every prompt at once: prompt p's choice i becomes choice p * n + i, and the usage events add up
async function* allPrompts(
  engine: Engine,
  prompts: string[],
  request: Omit<CompletionRequest, 'prompt'>,
  options: { signal: AbortSignal; n: number; lane: 'interactive' | 'batch' },
): AsyncGenerator<GenerationEvent> {
  const streams = prompts.map((prompt, p) =>
    (async function* () {
      for await (const event of textCompletion(
        engine,
        { ...request, prompt },
        { signal: options.signal, lane: options.lane },
      ))
        yield { event, p }
    })(),
  )
  // each prompt's usage already counts its prompt once for its n choices: the prompts add up
  const usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
  let timings: Timings | undefined
  for await (const { event, p } of mergeAsync(streams)) {
    if (event.type !== 'usage') {
      yield 'choice' in event ? { ...event, choice: p * options.n + event.choice } : event
      continue
    }
    usage.prompt_tokens += event.usage.prompt_tokens
    usage.completion_tokens += event.usage.completion_tokens
    usage.total_tokens += event.usage.total_tokens
    timings ??= event.timings
  }
  if (timings) yield { type: 'usage', usage, timings }
}
