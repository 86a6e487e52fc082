import t from 'tap'
import { parsePrometheus, sampleValue, type Family } from '../helpers/prometheus.js'
import { startTestServer, TRANSPORTS } from '../helpers/server.js'

const MODEL = 'stories260K'
const USER = [{ role: 'user' as const, content: 'Once upon a time' }]
// stories260K never ends a chat turn by itself: a small JSON answer ends the run (status completed)
const shortAnswer = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'answer',
    schema: { type: 'object', properties: { answer: { type: 'string', maxLength: 16 } }, required: ['answer'] },
  },
}

async function scrape(url: string): Promise<{ contentType: string | null; families: Map<string, Family> }> {
  const reply = await fetch(`${url}/metrics`)
  if (reply.status !== 200) throw new Error(`GET /metrics answered ${reply.status}`)
  return { contentType: reply.headers.get('content-type'), families: parsePrometheus(await reply.text()) }
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: /metrics counters move after a chat, an Assistants run and an error`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    const { client } = s
    const before = await scrape(s.url)
    t.equal(before.contentType, 'text/plain; version=0.0.4; charset=utf-8')
    const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
      sampleValue(families, name, labels) ?? 0
    const delta = (after: Map<string, Family>, name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before.families, name, labels)

    const chat = await client.chat.completions.create({ model: MODEL, messages: USER, max_tokens: 5 })
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: USER,
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    })
    let streamedUsage = { prompt_tokens: 0, completion_tokens: 0 }
    for await (const chunk of stream) if (chunk.usage) streamedUsage = chunk.usage
    const wrongModel = await client.chat.completions
      .create({ model: 'no-such-model', messages: USER, max_tokens: 1 })
      .then(
        () => null,
        (error: { status?: number }) => error.status,
      )
    t.equal(wrongModel, 404)
    const assistant = await client.beta.assistants.create({ model: MODEL, response_format: shortAnswer })
    const thread = await client.beta.threads.create({ messages: USER })
    const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id })
    t.equal(run.status, 'completed')
    const { families: after } = await scrape(s.url)

    const chatRoute = { method: 'POST', route: '/v1/chat/completions' }
    t.equal(delta(after, 'oxillama_http_requests_total', { ...chatRoute, status: '200' }), 2, 'two chats')
    t.equal(delta(after, 'oxillama_http_requests_total', { ...chatRoute, status: '404' }), 1, 'one error')
    t.equal(delta(after, 'oxillama_http_request_duration_seconds_count', chatRoute), 3, 'three latencies')
    const runsRoute = { method: 'POST', route: '/v1/threads/:thread_id/runs', status: '200' }
    t.equal(delta(after, 'oxillama_http_requests_total', runsRoute), 1, 'the run, by its route pattern')
    t.equal(value(after, 'oxillama_http_requests_total', { method: 'GET', route: '/metrics', status: '200' }), 1)

    const interactive = { lane: 'interactive' }
    t.equal(
      delta(after, 'oxillama_prompt_tokens_total', interactive),
      chat.usage!.prompt_tokens + streamedUsage.prompt_tokens,
      'prompt tokens of both chats',
    )
    t.equal(
      delta(after, 'oxillama_generated_tokens_total', interactive),
      chat.usage!.completion_tokens + streamedUsage.completion_tokens,
      'generated tokens of both chats',
    )
    t.equal(delta(after, 'oxillama_time_to_first_token_seconds_count', interactive), 2)
    t.equal(delta(after, 'oxillama_generation_tokens_per_second_count', interactive), 2)
    t.equal(delta(after, 'oxillama_queue_wait_seconds_count', interactive), 2)

    const background = { lane: 'background' }
    t.equal(delta(after, 'oxillama_prompt_tokens_total', background), run.usage!.prompt_tokens, 'the run')
    t.equal(delta(after, 'oxillama_generated_tokens_total', background), run.usage!.completion_tokens)
    t.equal(delta(after, 'oxillama_time_to_first_token_seconds_count', background), 1)
    t.equal(delta(after, 'oxillama_queue_wait_seconds_count', background), 1)
    t.equal(value(after, 'oxillama_runs', { status: 'completed' }), 1)
    t.equal(value(after, 'oxillama_runs', { status: 'queued' }), 0)
    t.ok(delta(after, 'oxillama_store_query_duration_seconds_count') > 0, 'store statements were timed')

    t.equal(value(after, 'oxillama_model_ready'), 1)
    t.equal(value(after, 'oxillama_slots_total'), 2)
    for (const lane of ['interactive', 'background', 'batch'])
      t.equal(sampleValue(after, 'oxillama_queue_depth', { lane }), 0, `queue depth of ${lane}`)
    t.equal(value(after, 'oxillama_engine_restarts_total'), 0)
    t.ok(value(after, 'process_resident_memory_bytes') > 0, 'RSS')
  })
}
