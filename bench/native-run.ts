// Child process of the native baseline: one model, one thread count, 1 warm-up + N timed runs; prints one
// BenchResult JSON line. Run by bench/native.ts under Node 24:
//   node24 --import tsx bench/native-run.ts --prefix .cache/bench-native --model m.gguf --threads 2 [--reps 3] [--gen 128]
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { medianOfRuns, type BenchResult, type BenchRun } from './bench-result.js'
import { nodeLlamaCppEntry } from './native-deps.js'
import { PROMPT_TOKENS, fitPrompt } from './prompt.js'

// The slice of node-llama-cpp's API used here (the package lives in .cache, outside the project's types)
type Token = number
type Sequence = {
  evaluateWithoutGeneratingNewTokens(tokens: Token[]): Promise<void>
  evaluate(tokens: Token[], options: { temperature: number; yieldEogToken: boolean }): AsyncGenerator<Token>
  dispose(): void
}
type Context = { getSequence(): Sequence; dispose(): Promise<void> }
type Model = {
  tokenize(text: string): Token[]
  readonly tokens: { readonly bos: Token | null }
  createContext(options: {
    contextSize: number
    batchSize: number
    threads: { ideal: number; min: number }
  }): Promise<Context>
  dispose(): Promise<void>
}
type Llama = { loadModel(options: { modelPath: string; gpuLayers: number }): Promise<Model>; dispose(): Promise<void> }
type GetLlama = (options: Record<string, unknown>) => Promise<Llama>

const { values } = parseArgs({
  options: {
    prefix: { type: 'string' },
    model: { type: 'string' },
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    gen: { type: 'string', default: '128' },
    ptok: { type: 'string', default: String(PROMPT_TOKENS) },
  },
})
if (!values.prefix || !values.model) throw new Error('usage: native-run.ts --prefix DIR --model FILE --threads N')
const threads = Number(values.threads)
const reps = Number(values.reps)
const warmup = Number(values.warmup)
const gen = Number(values.gen)

const mod: Record<string, unknown> = await import(pathToFileURL(nodeLlamaCppEntry(values.prefix)).href)
const getLlama = mod.getLlama as GetLlama
const logLevels = mod.LlamaLogLevel as Record<string, unknown>
const started = performance.now()
let llama: Llama
try {
  // build 'never' + skipDownload: the prebuilt binary or nothing; llama.cpp is never fetched or compiled
  llama = await getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    usePrebuiltBinaries: true,
    progressLogs: false,
    logLevel: logLevels.warn,
    maxThreads: threads,
  })
} catch (error) {
  throw new Error(`Cannot load node-llama-cpp's prebuilt CPU binary (nothing is downloaded or built): ${String(error)}`)
}
const model = await llama.loadModel({ modelPath: values.model, gpuLayers: 0 })
const context = await model.createContext({
  contextSize: 1024,
  batchSize: 512,
  threads: { ideal: threads, min: threads },
})
const loadMs = performance.now() - started

const bos = model.tokens.bos
const prompt = await fitPrompt(Number(values.ptok), (text) => model.tokenize(text).length + (bos === null ? 0 : 1))
const tokens = [...(bos === null ? [] : [bos]), ...model.tokenize(prompt.text)]

const runs: BenchRun[] = []
let generated = gen
for (let r = 0; r < warmup + reps; r++) {
  const { run, n } = await timeOnce(context, tokens, gen)
  generated = Math.min(generated, n)
  if (r >= warmup) runs.push(run)
}
const median = medianOfRuns(runs)
const result: BenchResult = {
  engine: 'native',
  node: process.version,
  model: path.basename(values.model),
  threads,
  load_ms: Math.round(loadMs),
  prompt_tokens: tokens.length,
  gen_tokens: generated,
  pp_tps: round1(median.pp_tps),
  tg_tps: round1(median.tg_tps),
  ttft_ms: Math.round(median.ttft_ms),
  peak_rss_mib: round1(process.resourceUsage().maxRSS / 1024),
  runs,
}
await context.dispose()
await model.dispose()
await llama.dispose()
console.log(JSON.stringify(result))

/** Prompt (all tokens but the last) in one batch, then `gen` greedy tokens starting from the last prompt token. */
async function timeOnce(ctx: Context, input: Token[], count: number): Promise<{ run: BenchRun; n: number }> {
  const seq = ctx.getSequence()
  try {
    const a = performance.now()
    await seq.evaluateWithoutGeneratingNewTokens(input.slice(0, -1))
    const b = performance.now()
    let n = 0
    let first = 0
    // yieldEogToken: random weights may pick EOS early; keep generating so every run makes `count` tokens
    for await (const token of seq.evaluate(input.slice(-1), { temperature: 0, yieldEogToken: true })) {
      void token
      if (n === 0) first = performance.now()
      if (++n >= count) break
    }
    const c = performance.now()
    const run = {
      pp_tps: (input.length - 1) / ((b - a) / 1000),
      tg_tps: (n - 1) / ((c - first) / 1000),
      ttft_ms: first - a,
    }
    return { run, n }
  } finally {
    seq.dispose()
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
