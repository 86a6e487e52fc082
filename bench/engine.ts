// Engine benchmark: the wasm builds against native llama.cpp on the same synthetic models, strictly one run at a time.
// usage: npx tsx bench/engine.ts [--models 135m,360m,135m-q4_0] [--threads 1,2]
//        [--engines native,wasm-simd,wasm-simd-node24,wasm-relaxed,wasm-relaxed-node20,wasm-main,wasm-compat]
//        [--reps 3] [--warmup 1] [--gen 128] [--rounds 1] [--json results.jsonl] [--max-load 1.0] [--no-wait]
// --rounds N runs the whole list N times over and reports each configuration's median over all its runs
import { execFile } from 'node:child_process'
import { appendFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { ensureNode24 } from '../scripts/node24.js'
import type { BenchEngine, BenchResult } from './bench-result.js'
import { runBenchChild } from './child.js'
import { runNative } from './native.js'
import { REPO_ROOT } from './paths.js'
import { PROMPT_TOKENS } from './prompt.js'
import { waitForQuiet } from './quiet.js'
import { formatBenchTable, type BenchRow } from './report-table.js'
import { mergeRounds } from './rounds.js'
import { SYNTH_PRESETS, SYNTH_TYPES, type SynthPreset, type SynthType } from './synth-llama.js'
import { ensureSynthModel } from './synth-models.js'

/** One configuration: a model file (by preset), an engine, a thread count and the repetition counts. */
export type EngineBenchConfig = {
  /** The model's name in the table: the preset, with its quantization unless Q8_0 (135m, 135m-q4_0). */
  label?: string
  preset: SynthPreset
  model: string
  engine: BenchEngine
  threads: number
  reps: number
  warmup: number
  gen: number
  promptTokens: number
}

const ENGINES: readonly BenchEngine[] = [
  'native',
  'wasm-simd',
  'wasm-simd-node24',
  'wasm-relaxed',
  'wasm-relaxed-node20',
  'wasm-main',
  'wasm-compat',
]
const run = promisify(execFile)

/**
 * WASM side: runs bench/wasm-run.ts in its own child, the main build under Node 24 (JSPI + memory64), relaxed under
 * Node 24 too, simd and compat under Node 20 (the oldest Node we support), and with a `-node24` / `-node20` suffix a
 * build on the other Node (`wasm-simd-node24`: its V8 compiles the same kernels faster; `wasm-relaxed-node20`: what
 * auto picks on Node 20, V8's relaxed-SIMD flag turned on), and expects one BenchResult JSON line like native-run.ts.
 * Child arguments: --build simd|relaxed|main|compat --model FILE --threads N --reps N --warmup N --gen N --ptok N.
 */
export async function runWasm(config: EngineBenchConfig): Promise<BenchResult> {
  if (config.engine === 'native') throw new Error('Cannot run native through runWasm()')
  const [build, runtime] = config.engine.slice('wasm-'.length).split('-node') as [string, string | undefined]
  const node24 = runtime ? runtime === '24' : build === 'main' || build === 'relaxed'
  const node = node24 ? await ensureNode24() : await ensureNode20()
  return runBenchChild(node, path.join(REPO_ROOT, 'bench', 'wasm-run.ts'), {
    args: [
      '--build',
      build,
      '--model',
      config.model,
      '--threads',
      String(config.threads),
      '--reps',
      String(config.reps),
      '--warmup',
      String(config.warmup),
      '--gen',
      String(config.gen),
      '--ptok',
      String(config.promptTokens),
    ],
  })
}

/** Runs every configuration one after the other (never two at once) and returns a row for each. */
export async function runEngineBench(
  configs: readonly EngineBenchConfig[],
  options: { onRow?: (row: BenchRow, load1: number) => Promise<void> | void } = {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  for (const config of configs) {
    const load1 = loadavg()[0] ?? 0
    const model = config.label ?? config.preset
    console.error(`bench: ${model} ${config.engine} ${config.threads} thread(s) (load ${load1.toFixed(2)})`)
    const row: BenchRow = { model, engine: config.engine, threads: config.threads, result: null }
    try {
      row.result = config.engine === 'native' ? await runNative(config) : await runWasm(config)
    } catch (error) {
      row.error = error instanceof Error ? error.message : String(error)
      console.error(`bench: failed: ${row.error}`)
    }
    rows.push(row)
    await options.onRow?.(row, load1)
  }
  return rows
}

/** The Node 20 binary for the simd and compat builds: $OXILLAMA_NODE20, this process's node if it is 20, else `node` on PATH. */
async function ensureNode20(): Promise<string> {
  const candidate = process.env.OXILLAMA_NODE20 ?? (process.versions.node.startsWith('20.') ? process.execPath : 'node')
  const version = (await run(candidate, ['--version'])).stdout.trim()
  if (!version.startsWith('v20.'))
    throw new Error(`Cannot run the compat build on Node 20: ${candidate} is ${version}; set OXILLAMA_NODE20`)
  return candidate
}

function list<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  return value.split(',').map((item) => {
    if (!allowed.includes(item as T)) throw new Error(`Unknown ${flag} value '${item}' (use ${allowed.join(', ')})`)
    return item as T
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: '135m,360m,135m-q4_0' },
      threads: { type: 'string', default: '1,2' },
      engines: { type: 'string', default: ENGINES.join(',') },
      reps: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      gen: { type: 'string', default: '128' },
      rounds: { type: 'string', default: '1' },
      json: { type: 'string' },
      'max-load': { type: 'string', default: '1.0' },
      'no-wait': { type: 'boolean', default: false },
    },
  })
  // a model is a preset, Q8_0 unless it names its type: 135m, 135m-q4_0, 600m-q4_k_m
  const models = values.models.split(',').map((name) => {
    const [preset = '', type = 'q8_0'] = name.split('-')
    list(preset, Object.keys(SYNTH_PRESETS) as SynthPreset[], '--models')
    list(type, SYNTH_TYPES, '--models type')
    return { name, preset: preset as SynthPreset, type: type as SynthType }
  })
  const engines = list(values.engines, ENGINES, '--engines')
  const threads = values.threads.split(',').map(Number)
  const configs: EngineBenchConfig[] = []
  for (const { name, preset, type } of models) {
    const model = await ensureSynthModel(preset, type)
    for (const t of threads) {
      for (const engine of engines) {
        configs.push({
          label: name,
          preset,
          model,
          engine,
          threads: t,
          reps: Number(values.reps),
          warmup: Number(values.warmup),
          gen: Number(values.gen),
          promptTokens: PROMPT_TOKENS,
        })
      }
    }
  }
  if (!values['no-wait']) {
    const quiet = await waitForQuiet({ maxLoad: Number(values['max-load']), log: (m) => console.error(`bench: ${m}`) })
    if (!quiet.quiet)
      throw new Error(
        `Cannot benchmark: the load average stayed at ${quiet.load1.toFixed(2)}; rerun when the machine is quiet or pass --no-wait`,
      )
  }
  const roundCount = Number(values.rounds)
  if (!Number.isInteger(roundCount) || roundCount < 1)
    throw new Error(`--rounds must be a positive integer, not '${values.rounds}'`)
  const jsonOut = values.json
  const rounds: BenchRow[][] = []
  for (let round = 0; round < roundCount; round++) {
    if (roundCount > 1) console.error(`bench: round ${round + 1} of ${roundCount}`)
    rounds.push(
      await runEngineBench(configs, {
        onRow: async (row, load1) => {
          if (jsonOut && row.result)
            await appendFile(jsonOut, `${JSON.stringify({ ...row.result, preset: row.model, load1, round })}\n`)
        },
      }),
    )
  }
  const rows = mergeRounds(rounds)
  console.log(formatBenchTable(rows))
  const failed = rows.filter((r) => r.error)
  for (const r of failed) console.log(`\n${r.model} ${r.engine} ${r.threads}: ${r.error}`)
  if (failed.length > 0) process.exitCode = 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
}
