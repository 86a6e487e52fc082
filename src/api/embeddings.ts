import { laneOf } from './lane.js'
import { embed } from '../engine/generation/embeddings.js'
import type { Engine } from '../engine/engine.js'
import { BadRequestError } from '../http/errors.js'
import type { Router } from '../http/router.js'
import { CreateEmbeddingResponse, EmbeddingCreateParams } from '../schemas/embeddings.js'
import { checkModelName, requireEngine, type ApiDeps } from './deps.js'

/** Registers POST /v1/embeddings: pooled, L2-normalized vectors from the served model. */
export function registerEmbeddings(router: Router, deps: ApiDeps): void {
  router.post(
    '/v1/embeddings',
    {
      body: EmbeddingCreateParams,
      response: CreateEmbeddingResponse,
      summary: 'Creates embeddings',
      inputParam: 'input',
    },
    async (c) => {
      checkModelName(deps, c.body.model)
      const engine = requireEngine(deps)
      const inputs = inputTexts(engine, c.body.input)
      const dims = c.body.dimensions
      if (dims !== undefined && dims > engine.model.nEmbd)
        throw new BadRequestError(`'dimensions' must be at most ${engine.model.nEmbd} for this model`, {
          param: 'dimensions',
        })
      const result = await embed(engine, inputs, { signal: c.signal, lane: laneOf(c.request) })
      const data = result.embeddings.map((vector, index) => {
        const v = dims === undefined ? vector : shorten(vector, dims)
        return {
          object: 'embedding' as const,
          index,
          embedding: c.body.encoding_format === 'base64' ? base64Floats(v) : v,
        }
      })
      return {
        object: 'list' as const,
        data,
        model: c.body.model,
        usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
      }
    },
  )
}

function inputTexts(engine: Engine, input: EmbeddingCreateParams['input']): string[] {
  const list: (string | number[])[] =
    typeof input === 'string' || typeof input[0] === 'number'
      ? [input as string | number[]]
      : (input as (string | number[])[])
  return list.map((item, i) => {
    const param = list === input ? `input[${i}]` : 'input'
    if (typeof item === 'string') {
      if (item.length === 0) throw new BadRequestError(`'${param}' must not be empty`, { param })
      return item
    }
    const bad = item.findIndex((id) => id >= engine.tokenizer.vocabSize)
    if (bad >= 0)
      throw new BadRequestError(`Token id ${item[bad]} is outside the model's vocabulary`, {
        param: `${param}[${bad}]`,
      })
    return engine.tokenizer.detokenize(item, { removeSpecial: true })
  })
}

// Matryoshka-style: keep the first dimensions and renormalize, as OpenAI does for `dimensions`
function shorten(vector: number[], dims: number): number[] {
  const head = vector.slice(0, dims)
  const norm = Math.hypot(...head) || 1
  return head.map((x) => x / norm)
}

function base64Floats(vector: number[]): string {
  const floats = Float32Array.from(vector) // little-endian on every platform Node runs on
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64')
}
