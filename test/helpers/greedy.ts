// Greedy generation with logprobs on one model and engine build: what the kernel parity tests compare across builds.
import { collectGeneration } from '../../src/engine/generation/collect.js'
import { textCompletion } from '../../src/engine/generation/completion.js'
import { Engine } from '../../src/engine/engine.js'
import type { EngineBuild } from '../../src/engine/host/protocol.js'
import { memoryLogger } from './engine.js'

export type Greedy = { build: string; tokens: string[]; logprobs: number[] }

// One 4-column GEMM tile plus leftover columns (GEMV) in the prompt batch, then GEMV for every generated token
export const GREEDY_PROMPT = 'Once upon a time'
export const GREEDY_TOKENS = 24

/** Starts the engine on `model` with `build` (1 thread), generates greedily, closes it. */
export async function greedy(model: string, build: EngineBuild): Promise<Greedy> {
  const engine = await Engine.start({
    modelPath: model,
    build,
    threads: 1,
    ctxSize: 256,
    parallel: 1,
    batchSize: 64,
    queueSize: 1,
    logger: memoryLogger(),
  })
  try {
    const res = await collectGeneration(
      textCompletion(
        engine,
        { prompt: GREEDY_PROMPT, max_tokens: GREEDY_TOKENS, temperature: 0, ignore_eos: true, logprobs: 1 },
        {},
      ),
    )
    const lp = res.choices[0]?.logprobs
    return {
      build: engine.build,
      tokens: (lp ?? []).map((l) => l.token),
      logprobs: (lp ?? []).map((l) => l.logprob),
    }
  } finally {
    await engine.close()
  }
}
