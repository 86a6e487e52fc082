// Batches: throughput of a batch against the same requests sent by a client loop at --parallel concurrency, and
// interactive time to first token with and without a batch running, through the openai SDK against the bundle.
// usage: npm run build && npx tsx bench/batches.ts [--requests 64] [--parallel 2] [--max-tokens 32] [--reps 10]
import { parseArgs } from 'node:util'
import OpenAI, { toFile } from 'openai'
import { modelPath } from '../test/helpers/paths.js'
import { startChatBenchServer } from './server-process.js'
import { median, p90 } from './stats.js'

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '64' },
    parallel: { type: 'string', default: '2' },
    'max-tokens': { type: 'string', default: '32' },
    reps: { type: 'string', default: '10' },
    model: { type: 'string', default: modelPath('stories260K.gguf') },
    threads: { type: 'string', default: '1' },
  },
})
const count = Number(values.requests)
const parallel = Number(values.parallel)
const maxTokens = Number(values['max-tokens'])
const reps = Number(values.reps)
const server = await startChatBenchServer(values.model, values.threads, ['--parallel', String(parallel)])
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 600_000 })
const body = (i: number) => ({
  model: 'bench',
  messages: [{ role: 'user' as const, content: `Tell story number ${i}` }],
  max_tokens: maxTokens,
  temperature: 0,
})

async function clientLoop(): Promise<{ seconds: number; tokens: number }> {
  let next = 0
  let tokens = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const reply = await client.chat.completions.create(body(next++))
        tokens += reply.usage?.completion_tokens ?? 0
      }
    }),
  )
  return { seconds: (performance.now() - t0) / 1000, tokens }
}

async function startBatch(): Promise<string> {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: body(i) }),
  )
  const input = await client.files.create({
    file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'),
    purpose: 'batch',
  })
  const batch = await client.batches.create({
    input_file_id: input.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  })
  return batch.id
}

async function waitDone(id: string): Promise<OpenAI.Batches.Batch> {
  for (;;) {
    const batch = await client.batches.retrieve(id)
    if (['completed', 'failed', 'cancelled', 'expired'].includes(batch.status)) return batch
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function batchRun(): Promise<{ seconds: number; tokens: number }> {
  const t0 = performance.now()
  const batch = await waitDone(await startBatch())
  const seconds = (performance.now() - t0) / 1000
  const text = await (await client.files.content(batch.output_file_id ?? '')).text()
  let tokens = 0
  for (const line of text.split('\n').filter(Boolean))
    tokens += (JSON.parse(line) as { response: { body: { usage: { completion_tokens: number } } } }).response.body.usage
      .completion_tokens
  return { seconds, tokens }
}

async function ttft(): Promise<number> {
  const t0 = performance.now()
  const stream = await client.chat.completions.create({ ...body(-1), max_tokens: 8, stream: true })
  let first = 0
  for await (const chunk of stream) if (!first && chunk.choices[0]?.delta.content) first = performance.now()
  return first - t0
}

await clientLoop() // warm up
const loop = await clientLoop()
const batch = await batchRun()
const idle: number[] = []
for (let i = 0; i <= reps; i++) {
  const ms = await ttft()
  if (i > 0) idle.push(ms)
}
const busy: number[] = []
const running = await startBatch()
for (let i = 0; i < reps; i++) busy.push(await ttft())
const background = await client.batches.retrieve(running)
await client.batches.cancel(running).catch(() => undefined)
await server.stop()

console.log(
  `${count} chat requests, max_tokens ${maxTokens}, --parallel ${parallel}, ${values.threads} thread(s), model ${values.model.split('/').at(-1)}\n`,
)
console.log('| path | seconds | requests/s | completion tokens/s |')
console.log('|---|---:|---:|---:|')
for (const [name, r] of [
  [`client loop, ${parallel} at a time`, loop],
  ['batch (files.create + batches.create to completed)', batch],
] as const)
  console.log(
    `| ${name} | ${r.seconds.toFixed(2)} | ${(count / r.seconds).toFixed(1)} | ${(r.tokens / r.seconds).toFixed(0)} |`,
  )
console.log(`\nInteractive time to first token, ${reps} streamed chats (ms):`)
console.log('| while | median | p90 |')
console.log('|---|---:|---:|')
console.log(`| idle | ${median(idle).toFixed(1)} | ${p90(idle).toFixed(1)} |`)
console.log(
  `| a batch runs (${background.request_counts?.completed ?? '?'} of ${count} done when the last chat ended) | ${median(busy).toFixed(1)} | ${p90(busy).toFixed(1)} |`,
)
