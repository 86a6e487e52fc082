// Streaming overhead: time to first token and tokens/s of a completion through HTTP + SSE against the same engine
// called directly, on a synthesized 135M model. Run alone on the machine (the request-rate benchmark is bench/http.ts).
// usage: npm run build && npx tsx bench/sse.ts [--reps 3] [--threads 2]
import { parseArgs } from 'node:util'
import { textCompletion } from '../src/engine/generation/completion.js'
import { Engine } from '../src/engine/engine.js'
import { startBenchServer } from './server-process.js'
import { ensureSynthModel } from './synth-models.js'
import { median } from './stats.js'

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    reps: { type: 'string', default: '3' },
  },
})
// each repetition starts with its own number, so llama.cpp's prompt cache cannot skip the prompt
const PROMPT =
  'The old lighthouse keeper climbed the stairs every evening to light the lamp for the ships that passed in the night.'
const GEN = 64

/** TTFT and generation tokens/s of one greedy completion, read as it streams. */
async function timeStream(chunks: AsyncIterable<string>): Promise<{ ttft: number; tps: number }> {
  const t0 = performance.now()
  let first = 0
  let last = 0
  let n = 0
  for await (const text of chunks) {
    if (!text) continue
    n++
    last = performance.now()
    if (!first) first = last
  }
  return { ttft: first - t0, tps: (n - 1) / ((last - first) / 1000) }
}

async function* engineTexts(engine: Engine, rep: number): AsyncGenerator<string> {
  for await (const event of textCompletion(engine, {
    prompt: `${rep}. ${PROMPT}`,
    max_tokens: GEN,
    temperature: 0,
    ignore_eos: true,
  }))
    if (event.type === 'text') yield event.text
}

async function* sseTexts(url: string, rep: number): AsyncGenerator<string> {
  const res = await fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'synth-135m-q8_0',
      prompt: `${rep}. ${PROMPT}`,
      max_tokens: GEN,
      temperature: 0,
      ignore_eos: true,
      stream: true,
    }),
  })
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true })
    let at
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, at)
      buffer = buffer.slice(at + 2)
      const data = event.replace(/^data: /, '')
      if (data === '[DONE]' || event.startsWith(':')) continue
      yield (JSON.parse(data) as { choices: { text: string }[] }).choices[0]?.text ?? ''
    }
  }
}

const reps = Number(values.reps)
const model = await ensureSynthModel('135m', 'q8_0')
const quiet = { debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) }
const engine = await Engine.start({
  modelPath: model,
  build: 'auto',
  threads: Number(values.threads),
  ctxSize: 1024,
  parallel: 1,
  batchSize: 128,
  queueSize: 1,
  logger: quiet,
})
const direct: { ttft: number; tps: number }[] = []
for (let i = 0; i <= reps; i++) {
  const r = await timeStream(engineTexts(engine, i))
  if (i > 0) direct.push(r)
}
await engine.close()
const server = await startBenchServer(['--model', model, '--threads', values.threads, '--parallel', '1'])
const viaSse: { ttft: number; tps: number }[] = []
for (let i = 0; i <= reps; i++) {
  const r = await timeStream(sseTexts(server.url, i))
  if (i > 0) viaSse.push(r)
}
await server.stop()

const d = { ttft: median(direct.map((x) => x.ttft)), tps: median(direct.map((x) => x.tps)) }
const s = { ttft: median(viaSse.map((x) => x.ttft)), tps: median(viaSse.map((x) => x.tps)) }
console.log(
  `Streaming a ${GEN}-token greedy completion on synth-135m-q8_0, ${values.threads} threads, median of ${reps}\n`,
)
console.log('| path | time to first token ms | tokens/s |')
console.log('|---|---:|---:|')
console.log(`| engine called directly | ${d.ttft.toFixed(0)} | ${d.tps.toFixed(1)} |`)
console.log(`| HTTP + SSE (${'uws'}) | ${s.ttft.toFixed(0)} | ${s.tps.toFixed(1)} |`)
console.log(`\nSSE/direct: TTFT ${(s.ttft / d.ttft).toFixed(2)}x, tokens/s ${(s.tps / d.tps).toFixed(2)}x`)
