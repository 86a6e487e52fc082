// Run machinery overhead: time from runs.create (streamed) to the first text delta, against a plain streamed chat
// completion with the same system and user text, through the openai SDK against the bundled server. Run alone.
// usage: npm run build && npx tsx bench/runs.ts [--reps 15] [--model path.gguf]
import { parseArgs } from 'node:util'
import OpenAI from 'openai'
import { modelPath } from '../test/helpers/paths.js'
import { startChatBenchServer } from './server-process.js'
import { chatTtft, median, p90, pairedRuns } from './stats.js'

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '15' },
    model: { type: 'string', default: modelPath('stories260K.gguf') },
    threads: { type: 'string', default: '1' },
  },
})
const reps = Number(values.reps)
const server = await startChatBenchServer(values.model, values.threads)
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 })
const SYSTEM = 'You tell short stories.'
const USER = 'Tell me a story about a cat.'

const assistant = await client.beta.assistants.create({ model: 'bench', instructions: SYSTEM })
async function runTtft(): Promise<number> {
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: USER }] })
  const t0 = performance.now()
  let first = 0
  const stream = client.beta.threads.runs.stream(thread.id, {
    assistant_id: assistant.id,
    max_completion_tokens: 256,
    temperature: 0,
  })
  stream.on('textDelta', () => {
    if (!first) first = performance.now()
  })
  await stream.finalRun()
  return first - t0
}

const [chat, runs] = await pairedRuns(reps, () => chatTtft(client, SYSTEM, USER), runTtft)
// store throughput through the API: messages created per second and list latency on a 1000-message thread
const thread = await client.beta.threads.create()
const t0 = performance.now()
for (let i = 0; i < 1000; i++)
  await client.beta.threads.messages.create(thread.id, { role: 'user', content: `message ${i}` })
const createRate = 1000 / ((performance.now() - t0) / 1000)
const lists: number[] = []
for (let i = 0; i < 100; i++) {
  const t = performance.now()
  await client.beta.threads.messages.list(thread.id, { limit: 20 })
  lists.push(performance.now() - t)
}
await server.stop()
console.log(
  `Time to first token, ${reps} pairs (median / p90 ms), model ${values.model.split('/').at(-1)}, ${values.threads} thread(s)\n`,
)
console.log('| path | median ms | p90 ms |')
console.log('|---|---:|---:|')
console.log(`| chat.completions stream | ${median(chat).toFixed(1)} | ${p90(chat).toFixed(1)} |`)
console.log(`| runs.create stream (first text delta) | ${median(runs).toFixed(1)} | ${p90(runs).toFixed(1)} |`)
console.log(
  `\nrun machinery overhead: ${(median(runs) - median(chat)).toFixed(1)} ms median (${(median(runs) / median(chat)).toFixed(2)}x)`,
)
console.log(
  `\nThrough the HTTP API: ${createRate.toFixed(0)} messages created/s (sequential), messages.list limit 20 on a 1000-message thread: p50 ${median(lists).toFixed(1)} ms, p90 ${p90(lists).toFixed(1)} ms`,
)
