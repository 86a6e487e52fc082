import OpenAI from 'openai'
import t from 'tap'
import type { HealthOk } from '../../src/schemas/health.js'
import { startTestServer, TRANSPORTS, type TestServer } from '../helpers/server.js'

const MODEL = 'stories260K'
// stories260K never ends a chat turn by itself: a small JSON answer ends each run (status completed)
const shortAnswer = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'answer',
    schema: { type: 'object', properties: { answer: { type: 'string', maxLength: 16 } }, required: ['answer'] },
  },
}

/** GET /health, parsed. */
async function health(s: TestServer): Promise<HealthOk> {
  return (await (await fetch(`${s.url}/health`)).json()) as HealthOk
}

/** Polls /health until `ready` holds for it (a state, not a timer); fails with the last reply after a minute. */
async function healthWhen(s: TestServer, ready: (h: HealthOk) => boolean): Promise<HealthOk> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const h = await health(s)
    if (ready(h)) return h
    if (Date.now() > deadline) throw new Error(`/health never reached the state: ${JSON.stringify(h)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * A streamed chat that holds its slot until the test aborts it: thousands of tokens (ignore_eos) take far longer
 * than any step of the test. The stream is left unread and ends when the test aborts it.
 */
function longChat(s: TestServer): AbortController {
  const controller = new AbortController()
  s.client.chat.completions
    .create(
      {
        model: MODEL,
        messages: [{ role: 'user', content: 'Tell me a long story' }],
        max_tokens: 8000,
        ignore_eos: true,
        stream: true,
      } as OpenAI.ChatCompletionCreateParamsStreaming,
      { signal: controller.signal },
    )
    .catch(() => undefined) // the test aborts it
  return controller
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: --parallel 1 --queue-size 1: chats go first, runs wait and all complete`, async (t) => {
    const s = await startTestServer({
      transport,
      args: ['--parallel', '1', '--queue-size', '1', '--ctx-size', '8192'],
      // aging has its unit test; here a slow machine must not let the runs overtake the later chat
      app: { engine: { agingMs: 3_600_000 } },
    })
    t.teardown(() => s.close())
    const { client } = s

    const chatA = longChat(s)
    await healthWhen(s, (h) => h.lanes.interactive.running === 1)
    const chatB = longChat(s)
    await healthWhen(s, (h) => h.lanes.interactive.queued === 1)

    const assistant = await client.beta.assistants.create({
      model: MODEL,
      instructions: 'You answer briefly.',
      response_format: shortAnswer,
    })
    const runs = []
    for (let i = 0; i < 3; i++) {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: `Question ${i}` }] })
      runs.push(
        await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id, max_completion_tokens: 256 }),
      )
    }
    const waiting = await healthWhen(s, (h) => h.lanes.background.queued === 3)
    t.same(
      waiting.lanes,
      {
        interactive: { running: 1, queued: 1 },
        background: { running: 0, queued: 3 },
        batch: { running: 0, queued: 0 },
      },
      'one chat runs, one chat and three runs wait',
    )
    t.same([waiting.slots_total, waiting.slots_busy, waiting.queued], [1, 1, 4])
    for (const run of runs) {
      const now = await client.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id })
      t.equal(now.status, 'queued', 'a run without a slot stays queued, it is not failed for being busy')
    }

    const busy = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 }),
    })
    t.equal(busy.status, 503, 'a further interactive request is refused: its queue is full')
    t.ok(Number(busy.headers.get('retry-after')) >= 1, `retry-after: ${busy.headers.get('retry-after')}`)
    t.match(await busy.json(), { error: { code: 'server_busy', type: 'server_error' } })
    const sdkError = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })
      .then(
        () => null,
        (error: unknown) => error,
      )
    t.ok(sdkError instanceof OpenAI.APIError && sdkError.status === 503, 'the SDK sees 503')

    chatA.abort()
    const afterA = await healthWhen(s, (h) => h.lanes.interactive.queued === 0)
    t.same(
      [afterA.lanes.interactive.running, afterA.lanes.background],
      [1, { running: 0, queued: 3 }],
      'the waiting chat took the freed slot ahead of the older runs',
    )

    const chatC = longChat(s) // arrives while the runs wait
    await healthWhen(s, (h) => h.lanes.interactive.queued === 1)
    chatB.abort()
    const afterB = await healthWhen(s, (h) => h.lanes.interactive.queued === 0)
    t.same(
      [afterB.lanes.interactive.running, afterB.lanes.background],
      [1, { running: 0, queued: 3 }],
      'a chat that arrived after the runs is still admitted before them',
    )

    chatC.abort()
    for (const run of runs) {
      const done = await client.beta.threads.runs.poll(run.id, { thread_id: run.thread_id }, { pollIntervalMs: 50 })
      t.equal(done.status, 'completed', `run ${runs.indexOf(run) + 1} completes`)
      t.equal(done.last_error, null)
    }
    const idle = await healthWhen(s, (h) => h.slots_busy === 0)
    t.equal(idle.queued, 0, 'nothing left waiting')
  })
}
