import type { Engine } from '../engine.js'
import { EngineError } from '../errors.js'
import type { CallOptions } from '../types.js'
import { laneOfCall } from './observe.js'

/** Pooled, L2-normalized embeddings, one per input, in input order. */
export interface EmbeddingResult {
  embeddings: number[][]
  promptTokens: number
}

/**
 * Embeds each input. wllama 3.8.1 labels every result of a multi-input call index 0, so each input is its own
 * engine request; they run concurrently across the slots and are put back in order here.
 */
export async function embed(engine: Engine, inputs: string[], options: CallOptions = {}): Promise<EmbeddingResult> {
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new EngineError('invalid_request', "'input' must not be empty", 'input')
  const limit = engine.model.nBatch
  inputs.forEach((text, i) => {
    if (typeof text !== 'string' || text.length === 0)
      throw new EngineError('invalid_request', `'input[${i}]' must be a non-empty string`, `input[${i}]`)
    // llama.cpp pools an input in one batch, so it cannot be longer than the batch size
    const tokens = engine.tokenizer.tokenize(text).length
    if (tokens > limit)
      throw new EngineError(
        'invalid_request',
        `'input[${i}]' has ${tokens} tokens, more than this server's batch size (${limit}); start it with a larger --batch-size to embed longer inputs`,
        `input[${i}]`,
      )
  })
  const results = await Promise.all(inputs.map((text) => embedOne(engine, text, options)))
  const promptTokens = results.reduce((sum, r) => sum + r.tokens, 0)
  const usage = { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens }
  engine.config.observer?.finished(laneOfCall(options), usage, null)
  return { embeddings: results.map((r) => r.embedding), promptTokens }
}

async function embedOne(
  engine: Engine,
  text: string,
  options: CallOptions,
): Promise<{ embedding: number[]; tokens: number }> {
  for await (const raw of engine.run(
    'embedding',
    { data_json: JSON.stringify({ input: text, embd_normalize: 2 }) },
    options,
  )) {
    const data = raw.data as { embedding: number[] }[] | undefined
    const embedding = data?.[0]?.embedding
    if (embedding)
      return { embedding, tokens: (raw.usage as { prompt_tokens?: number } | undefined)?.prompt_tokens ?? 0 }
  }
  throw new EngineError('rejected', 'The engine returned no embedding')
}
