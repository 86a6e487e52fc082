// Responses overhead and prompt cache: time to the first token of a streamed response against a streamed chat
// completion of the same prompt; then the prompt tokens a chained turn (previous_response_id) processes when its slot
// still holds the first turn, when an unrelated request took the only slot in between (--parallel 1), and when the
// same context comes whole with nothing cached. Through the openai SDK against the bundled server. Run alone.
// usage: npm run build && npx tsx bench/responses.ts [--reps 15] [--model path.gguf]
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import OpenAI from 'openai'
import { modelPath } from '../test/helpers/paths.js'
import { REPO_ROOT } from './paths.js'
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
const server = await startChatBenchServer(values.model, values.threads, ['--parallel', '1', '--ctx-size', '2048'])
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 })
const SYSTEM = 'You tell short stories.'
const USER = 'Tell me a story about a cat.'
// a first turn long enough that reading it again shows: the first ~250 words of bench/prompt.txt
const STORY = (await readFile(path.join(REPO_ROOT, 'bench', 'prompt.txt'), 'utf8')).split(/\s+/).slice(0, 250).join(' ')

async function responseTtft(): Promise<number> {
  const t0 = performance.now()
  const stream = await client.responses.create({
    model: 'bench',
    instructions: SYSTEM,
    input: USER,
    max_output_tokens: 8,
    temperature: 0,
    stream: true,
  })
  let first = 0
  for await (const event of stream) if (!first && event.type === 'response.output_text.delta') first = performance.now()
  return first - t0
}

/**
 * A first turn, optionally an unrelated request in the only slot (llama.cpp keeps the slot's previous prompt in its
 * host-memory prompt cache and restores it), then the chained turn: its tokens and time.
 */
async function chainedTurn(evict: boolean): Promise<{ processed: number; input: number; ms: number; answer: string }> {
  const first = await client.responses.create({
    model: 'bench',
    input: `${STORY} (${Math.random()})`, // a new first turn each time: nothing of it is cached before
    max_output_tokens: 16,
    temperature: 0,
  })
  if (evict)
    await client.chat.completions.create({
      model: 'bench',
      messages: [{ role: 'user', content: 'Something else entirely.' }],
      max_tokens: 1,
    })
  const t0 = performance.now()
  const second = await client.responses.create({
    model: 'bench',
    previous_response_id: first.id,
    input: 'And then?',
    max_output_tokens: 1,
    temperature: 0,
  })
  const ms = performance.now() - t0
  const input = second.usage?.input_tokens ?? 0
  const processed = input - (second.usage?.input_tokens_details.cached_tokens ?? 0)
  return { processed, input, ms, answer: first.output_text }
}

const [chat, responses] = await pairedRuns(reps, () => chatTtft(client, SYSTEM, USER), responseTtft)
/** The same context sent whole with a new first word: nothing of it is in any cache, every token is processed. */
async function uncachedTurn(answer: string): Promise<{ processed: number; input: number; ms: number }> {
  const t0 = performance.now()
  const turn = await client.responses.create({
    model: 'bench',
    input: [
      { role: 'user', content: `${Math.random()} ${STORY}` },
      { role: 'assistant', content: answer },
      { role: 'user', content: 'And then?' },
    ],
    max_output_tokens: 1,
    temperature: 0,
  })
  const ms = performance.now() - t0
  const input = turn.usage?.input_tokens ?? 0
  return { processed: input - (turn.usage?.input_tokens_details.cached_tokens ?? 0), input, ms }
}

const cached: Awaited<ReturnType<typeof chainedTurn>>[] = []
const evicted: Awaited<ReturnType<typeof chainedTurn>>[] = []
const uncached: Awaited<ReturnType<typeof uncachedTurn>>[] = []
for (let i = 0; i < reps; i++) {
  cached.push(await chainedTurn(false))
  evicted.push(await chainedTurn(true))
  uncached.push(await uncachedTurn(cached.at(-1)?.answer ?? ''))
}
await server.stop()

const model = values.model.split('/').at(-1)
console.log(`Time to first token, ${reps} pairs (median / p90 ms), model ${model}, ${values.threads} thread(s)\n`)
console.log('| path | median ms | p90 ms |')
console.log('|---|---:|---:|')
console.log(`| chat.completions stream | ${median(chat).toFixed(1)} | ${p90(chat).toFixed(1)} |`)
console.log(
  `| responses.create stream (first output_text.delta) | ${median(responses).toFixed(1)} | ${p90(responses).toFixed(1)} |`,
)
console.log(`\nChained turn (previous_response_id, "And then?", 1 output token), ${reps} each, medians\n`)
console.log('| second turn | input tokens | prompt tokens processed | cached | turn ms |')
console.log('|---|---:|---:|---:|---:|')
for (const [name, rows] of [
  ['slot still holds the first turn', cached],
  ['an unrelated request took the slot in between', evicted],
  ['same context sent whole, nothing cached', uncached],
] as const) {
  const input = median(rows.map((r) => r.input))
  const processed = median(rows.map((r) => r.processed))
  console.log(
    `| ${name} | ${input} | ${processed} | ${input - processed} | ${median(rows.map((r) => r.ms)).toFixed(1)} |`,
  )
}
