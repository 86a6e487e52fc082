import { Type, type Static } from 'typebox'
import { Compile } from 'typebox/compile'

/** The engines the benchmarks compare. */
export const BenchEngine = Type.Union([
  Type.Literal('native'),
  Type.Literal('wasm-simd'),
  Type.Literal('wasm-simd-node24'),
  Type.Literal('wasm-relaxed'),
  Type.Literal('wasm-relaxed-node20'),
  Type.Literal('wasm-main'),
  Type.Literal('wasm-compat'),
])
/** The engines the benchmarks compare. */
export type BenchEngine = Static<typeof BenchEngine>

/** One timed repetition: prompt processing and generation speed, time to first token. */
export const BenchRun = Type.Object({ pp_tps: Type.Number(), tg_tps: Type.Number(), ttft_ms: Type.Number() })
/** One timed repetition: prompt processing and generation speed, time to first token. */
export type BenchRun = Static<typeof BenchRun>

/** The one JSON line a benchmark child (native-run.ts, wasm-run.ts) prints on stdout. */
export const BenchResult = Type.Object({
  engine: BenchEngine,
  node: Type.String({ description: 'process.version of the child' }),
  model: Type.String({ description: 'Model file name' }),
  threads: Type.Integer({ minimum: 1 }),
  load_ms: Type.Number({ description: 'From engine start to model loaded and context ready, child startup excluded' }),
  prompt_tokens: Type.Integer({ description: 'Prompt tokens evaluated, BOS included' }),
  gen_tokens: Type.Integer({ description: 'Tokens generated per repetition' }),
  pp_tps: Type.Number({ description: 'Median prompt-processing tokens/s' }),
  tg_tps: Type.Number({ description: 'Median generation tokens/s, first token excluded' }),
  ttft_ms: Type.Number({ description: 'Median time to first generated token' }),
  peak_rss_mib: Type.Number({ description: 'The child process maxRSS at the end, MiB' }),
  runs: Type.Array(BenchRun, { description: 'The timed repetitions, warm-up excluded' }),
})
/** The one JSON line a benchmark child (native-run.ts, wasm-run.ts) prints on stdout. */
export type BenchResult = Static<typeof BenchResult>

const check = Compile(BenchResult)

/** Parses and validates a child's JSON result line. */
export function parseBenchResult(line: string): BenchResult {
  const value: unknown = JSON.parse(line)
  if (!check.Check(value)) {
    const first = [...check.Errors(value)][0]
    throw new Error(
      `Cannot use the benchmark result: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`,
    )
  }
  return value
}

/** The middle value (the mean of the two middle ones of an even count). */
export function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** The median of each speed over the timed runs (the middle one of an odd count). */
export function medianOfRuns(runs: readonly BenchRun[]): BenchRun {
  if (runs.length === 0) throw new Error('Cannot summarise: no timed runs')
  const median = (key: keyof BenchRun): number => middle(runs.map((r) => r[key]))
  return { pp_tps: median('pp_tps'), tg_tps: median('tg_tps'), ttft_ms: median('ttft_ms') }
}
