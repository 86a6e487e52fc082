// Child process of the wasm side of bench/engine.ts (same contract as bench/native-run.ts):
//   <node> --import tsx bench/wasm-run.ts --build simd|relaxed|main|compat --model FILE --threads N --reps 3 --warmup 1 --gen 128 --ptok 100
// Main and relaxed under Node 24, simd and compat under Node 20. Prompt processing then `gen` greedy tokens (EOS ignored), through the
// same engine interface the server uses; prints one BenchResult JSON line. The prompt cache is off, else every
// repetition after the first would process one prompt token.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { textCompletion } from '../src/engine/generation/completion.js'
import { Engine } from '../src/engine/engine.js'
import { medianOfRuns, type BenchResult, type BenchRun } from './bench-result.js'
import { fitPrompt, PROMPT_TOKENS } from './prompt.js'

const { values } = parseArgs({
  options: {
    build: { type: 'string', default: 'compat' },
    model: { type: 'string' },
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    gen: { type: 'string', default: '128' },
    ptok: { type: 'string', default: String(PROMPT_TOKENS) },
    'batch-size': { type: 'string', default: '128' },
  },
})
if (!values.model) throw new Error('usage: wasm-run.ts --build simd|relaxed|main|compat --model FILE --threads N')
const build = (['main', 'simd', 'relaxed'] as const).find((b) => b === values.build) ?? 'compat'
const threads = Number(values.threads)
const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) }
const started = performance.now()
const engine = await Engine.start({
  modelPath: values.model,
  build,
  threads,
  ctxSize: 1024,
  parallel: 1,
  batchSize: Number(values['batch-size']),
  queueSize: 1,
  logger: quiet,
})
const loadMs = performance.now() - started
const prompt = await fitPrompt(Number(values.ptok), (text) => engine.tokenizer.tokenize(text).length)
const gen = Number(values.gen)
const runs: BenchRun[] = []
let generated = gen
for (let r = 0; r < Number(values.warmup) + Number(values.reps); r++) {
  const t0 = performance.now()
  let first = 0
  let last = 0
  let n = 0
  let ppTps = 0
  let tgTps = 0
  for await (const event of textCompletion(engine, {
    prompt: prompt.text,
    max_tokens: gen,
    temperature: 0,
    ignore_eos: true,
    cache_prompt: false,
  })) {
    if (event.type === 'text' && event.text) {
      n++
      last = performance.now()
      if (!first) first = last
    }
    if (event.type === 'usage') {
      ppTps = event.timings.prompt_per_second
      tgTps = event.timings.predicted_per_second
    }
  }
  generated = Math.min(generated, n)
  // the engine's own timings, like native's; wall-clock generation speed as a fallback
  const run: BenchRun = { pp_tps: ppTps, tg_tps: tgTps || (n - 1) / ((last - first) / 1000), ttft_ms: first - t0 }
  if (r >= Number(values.warmup)) runs.push(run)
}
await engine.close()
const median = medianOfRuns(runs)
const round1 = (x: number) => Math.round(x * 10) / 10
const result: BenchResult = {
  engine: `wasm-${build}`,
  node: process.version,
  model: path.basename(values.model),
  threads,
  load_ms: Math.round(loadMs),
  prompt_tokens: prompt.tokens,
  gen_tokens: generated,
  pp_tps: round1(median.pp_tps),
  tg_tps: round1(median.tg_tps),
  ttft_ms: Math.round(median.ttft_ms),
  peak_rss_mib: round1(process.resourceUsage().maxRSS / 1024),
  runs,
}
console.log(JSON.stringify(result))
