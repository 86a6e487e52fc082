import { collectCompletion } from '../engine/generation/collect.js'
import { textCompletion } from '../engine/generation/completion.js'
import type { Engine } from '../engine/engine.js'
import { mergeAsync } from '../engine/generation/merge.js'
import type { CompletionChunk, CompletionRequest } from '../engine/types.js'
import { BadRequestError } from '../http/errors.js'
import { sse } from '../http/reply.js'
import type { Router } from '../http/router.js'
import { Completion, CompletionCreateParams } from '../schemas/completions.js'
import { checkModelName, requireEngine, type ApiDeps } from './deps.js'
import { chunkErrorEvent, chunkEvents, openStream } from './chunk-stream.js'

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
        n,
        response_format: body.response_format as CompletionRequest['response_format'],
        ...(body.grammar !== undefined ? { grammar: body.grammar } : {}),
        ...(body.ignore_eos ? { ignore_eos: true } : {}),
      }
      const chunks = allPrompts(engine, prompts, request, {
        model: body.model,
        signal: c.signal,
        echo: body.echo === true,
        n,
      })
      if (!body.stream) return (await collectCompletion(chunks)) as Completion
      const opened = await openStream(chunks) // errors before the first chunk still get a proper status code
      return sse(chunkEvents(opened, chunks, body.stream_options?.include_usage === true), {
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

async function* allPrompts(
  engine: Engine,
  prompts: string[],
  request: Omit<CompletionRequest, 'prompt'>,
  options: { model: string; signal: AbortSignal; echo: boolean; n: number },
): AsyncGenerator<CompletionChunk> {
  const echoed = new Set<number>()
  const ends: CompletionChunk[] = []
  let last: CompletionChunk | null = null
  const streams = prompts.map((prompt, p) =>
    (async function* () {
      for await (const chunk of textCompletion(
        engine,
        { ...request, prompt },
        { model: options.model, signal: options.signal },
      )) {
        yield { chunk, p, prompt }
      }
    })(),
  )
  for await (const { chunk, p, prompt } of mergeAsync(streams)) {
    last = chunk
    if (chunk.choices.length === 0) {
      ends.push(chunk)
      continue
    }
    const choices = chunk.choices.map((choice) => {
      const index = p * options.n + choice.index
      const echo = options.echo && !echoed.has(index) ? (echoed.add(index), prompt) : ''
      return { ...choice, index, text: echo + choice.text }
    })
    yield { ...chunk, choices }
  }
  // each prompt's usage chunk already counts its prompt once for its n choices: the prompts add up
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
  for (const end of ends) {
    usage.prompt_tokens += end.usage?.prompt_tokens ?? 0
    usage.completion_tokens += end.usage?.completion_tokens ?? 0
    usage.total_tokens += end.usage?.total_tokens ?? 0
  }
  if (last) yield { ...last, choices: [], usage, ...(ends[0]?.timings ? { timings: ends[0].timings } : {}) }
}
