// The native llama.cpp baseline (node-llama-cpp 3.22.1, prebuilt CPU binary) under Node 24.
// usage: npx tsx bench/native.ts --model m.gguf|--preset 135m [--threads 2] [--reps 3] [--gen 128]
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { ensureNode24 } from '../scripts/node24.js'
import type { BenchResult } from './bench-result.js'
import { runBenchChild } from './child.js'
import { ensureNativeDeps } from './native-deps.js'
import { REPO_ROOT } from './paths.js'
import { PROMPT_TOKENS } from './prompt.js'
import { SYNTH_PRESETS, type SynthPreset } from './synth-llama.js'
import { ensureSynthModel } from './synth-models.js'

/** What to time: a model file, a thread count and the repetition counts. */
export type NativeConfig = {
  model: string
  threads: number
  reps?: number
  warmup?: number
  gen?: number
  promptTokens?: number
}

/**
 * Times the native baseline in its own Node 24 child: load, ~100-token prompt processing and 128 greedy tokens,
 * median of `reps` (3) runs after `warmup` (1).
 */
export async function runNative(config: NativeConfig): Promise<BenchResult> {
  const [node24, prefix] = [await ensureNode24(), await ensureNativeDeps()]
  return runBenchChild(node24, path.join(REPO_ROOT, 'bench', 'native-run.ts'), {
    args: [
      '--prefix',
      prefix,
      '--model',
      path.resolve(config.model),
      '--threads',
      String(config.threads),
      '--reps',
      String(config.reps ?? 3),
      '--warmup',
      String(config.warmup ?? 1),
      '--gen',
      String(config.gen ?? 128),
      '--ptok',
      String(config.promptTokens ?? PROMPT_TOKENS),
    ],
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      preset: { type: 'string' },
      threads: { type: 'string', default: '1' },
      reps: { type: 'string', default: '3' },
      gen: { type: 'string', default: '128' },
    },
  })
  const preset = values.preset
  if (preset !== undefined && !Object.hasOwn(SYNTH_PRESETS, preset)) throw new Error(`Unknown --preset '${preset}'`)
  const model = values.model ?? (preset ? await ensureSynthModel(preset as SynthPreset, 'q8_0') : undefined)
  if (!model) throw new Error('usage: bench/native.ts --model m.gguf|--preset 135m [--threads N]')
  const result = await runNative({
    model,
    threads: Number(values.threads),
    reps: Number(values.reps),
    gen: Number(values.gen),
  })
  console.log(JSON.stringify(result))
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
}
