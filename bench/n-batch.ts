// Measures how --batch-size trades prompt throughput against responsiveness, to pick its default.
// Each get_result call runs one decode step over up to n_batch prompt tokens, and nothing else (no other
// stream's token, no abort) can happen inside a step. Prints, per n_batch: prompt tokens/s on a ~1000-token
// prompt, the longest gap another stream sees while that prompt is processed, and how long an abort takes.
// usage: npx tsx bench/n-batch.ts [--threads 2] [--sizes 32,64,128,256,512] [--preset 135m]
import { textCompletion } from '../src/engine/generation/completion.js'
import { collectGeneration } from '../src/engine/generation/collect.js'
import { Engine } from '../src/engine/engine.js'
import { ensureSynthModel } from './synth-models.js'
import type { SynthPreset } from './synth-llama.js'

const args = process.argv.slice(2)
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback
}
const threads = Number(opt('--threads', '2'))
const sizes = opt('--sizes', '32,64,128,256,512').split(',').map(Number)
const modelPath = await ensureSynthModel(opt('--preset', '135m') as SynthPreset, 'q8_0')
const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) }
const words = 'the quick brown fox jumps over the lazy dog and runs into the forest where it finds a river'.split(' ')
const prompt = Array.from({ length: 1000 }, (_, i) => words[i % words.length]).join(' ')
// a second long prompt with no common prefix, so llama.cpp's prompt cache cannot skip its processing
const other = Array.from({ length: 1000 }, (_, i) => words[(i * 7 + 3) % words.length]).join(' ')
const opts = {}

const rows: string[] = []
for (const batchSize of sizes) {
  const engine = await Engine.start({
    modelPath,
    build: 'auto',
    threads,
    ctxSize: 2048,
    parallel: 2,
    batchSize,
    queueSize: 4,
    logger: quiet,
  })
  const promptTokens = engine.tokenizer.tokenize(prompt).length
  // prompt throughput: time to the first token of the long prompt, alone
  let t0 = performance.now()
  await collectGeneration(textCompletion(engine, { prompt, max_tokens: 1, temperature: 0 }, opts))
  const ppTps = promptTokens / ((performance.now() - t0) / 1000)
  // stall: a short stream generating while the long prompt is processed beside it
  const gaps: number[] = []
  const background = (async () => {
    let last = performance.now()
    for await (const event of textCompletion(
      engine,
      { prompt: 'Once', max_tokens: 400, ignore_eos: true, temperature: 0 },
      opts,
    )) {
      if (event.type === 'text' && event.text) {
        const now = performance.now()
        gaps.push(now - last)
        last = now
      }
    }
  })().catch(() => {}) // it ends when the engine closes below
  await new Promise((r) => setTimeout(r, 1000))
  await collectGeneration(textCompletion(engine, { prompt: other, max_tokens: 1, temperature: 0 }, opts))
  const stallMs = Math.max(...gaps)
  await engine.close()
  await background
  // abort latency: abort the long prompt mid-way and time until the request settles
  const engine2 = await Engine.start({
    modelPath,
    build: 'auto',
    threads,
    ctxSize: 2048,
    parallel: 2,
    batchSize,
    queueSize: 4,
    logger: quiet,
  })
  const controller = new AbortController()
  const running = collectGeneration(
    textCompletion(engine2, { prompt, max_tokens: 1 }, { ...opts, signal: controller.signal }),
  ).catch(() => null)
  await new Promise((r) => setTimeout(r, 1500))
  t0 = performance.now()
  controller.abort()
  await running
  const abortMs = performance.now() - t0
  await engine2.close()
  rows.push(`| ${batchSize} | ${promptTokens} | ${ppTps.toFixed(1)} | ${stallMs.toFixed(0)} | ${abortMs.toFixed(0)} |`)
  console.error(rows.at(-1))
}
console.log(`n_batch on ${modelPath.split('/').at(-1)}, ${threads} threads`)
console.log('| n_batch | prompt tokens | prompt t/s | longest stall of another stream (ms) | abort latency (ms) |')
console.log('|---:|---:|---:|---:|---:|')
for (const row of rows) console.log(row)
