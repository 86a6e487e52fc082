import net from 'node:net'
import t, { type Test } from 'tap'
import type OpenAI from 'openai'
import { startTestServer, TRANSPORTS, type TestServer } from '../helpers/server.js'

const MODEL = 'stories260K'
// long enough that it is still generating when the client leaves (stories260K never emits EOS with ignore_eos)
const LONG: OpenAI.ChatCompletionCreateParamsStreaming & { ignore_eos: boolean } = {
  model: MODEL,
  messages: [{ role: 'user', content: 'Once upon a time' }],
  max_tokens: 1500,
  ignore_eos: true,
  temperature: 0,
  stream: true,
}

function activeSlots(s: TestServer): number {
  return s.app.deps.model.engine?.stats.active ?? -1
}

/** Waits until no engine slot is busy; returns how long that took, or -1 after the limit. */
async function slotsFreeAfter(s: TestServer, limitMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < limitMs) {
    if (activeSlots(s) === 0) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return -1
}

/** With one slot and no queue, a request that is not served at once fails with 503: it must get its first chunk. */
async function nextRequestStarts(t: Test, s: TestServer): Promise<void> {
  const started = Date.now()
  const stream = await s.client.chat.completions.create({ ...LONG, max_tokens: 4 })
  let chunks = 0
  for await (const chunk of stream) if (chunk.choices.length) chunks++
  t.ok(chunks >= 4, 'the next request streams')
  t.ok(Date.now() - started < 5000, `and is served at once (${Date.now() - started} ms)`)
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: a client that leaves mid-stream frees its engine slot`, async (t) => {
    const s = await startTestServer({ transport, args: ['--parallel', '1', '--queue-size', '0'] })
    t.teardown(() => s.close())

    t.test('aborting an SDK stream after 3 chunks', async (t) => {
      const controller = new AbortController()
      const stream = await s.client.chat.completions.create(LONG, { signal: controller.signal })
      let chunks = 0
      // the SDK's Stream ends quietly when its signal aborts
      for await (const chunk of stream) {
        if (chunk.choices.length) chunks++
        if (chunks === 3) {
          t.equal(activeSlots(s), 1, 'the stream holds the only slot')
          controller.abort()
        }
      }
      t.equal(chunks, 3, 'no chunk after the abort')
      const ms = await slotsFreeAfter(s, 1000)
      t.ok(ms >= 0, `the slot is free again within 1 s (${ms} ms)`)
      await nextRequestStarts(t, s)
    })

    const streams = [
      { path: '/v1/chat/completions', body: LONG },
      {
        path: '/v1/completions',
        body: { model: MODEL, prompt: 'Once upon a time', max_tokens: 1500, ignore_eos: true, stream: true },
      },
    ]
    for (const { path, body } of streams) {
      t.test(`closing the raw socket in the middle of a POST ${path} stream`, async (t) => {
        const json = JSON.stringify(body)
        const socket = net.connect(s.server.port, '127.0.0.1')
        await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
        )
        let received = ''
        await new Promise<void>((resolve, reject) => {
          socket.on('data', (data: Buffer) => {
            received += data.toString('utf8')
            if ((received.match(/\ndata: \{/g) ?? []).length >= 3) resolve()
          })
          socket.once('error', reject)
          socket.once('close', () => reject(new Error(`closed early: ${received}`)))
        })
        t.match(received, /^HTTP\/1\.1 200 /, 'a streaming 200')
        t.equal(activeSlots(s), 1, 'the stream holds the only slot')
        socket.destroy()
        const ms = await slotsFreeAfter(s, 1000)
        t.ok(ms >= 0, `the slot is free again within 1 s (${ms} ms)`)
        await nextRequestStarts(t, s)
      })
    }

    t.test('closing the raw socket while a non-streamed request generates', async (t) => {
      const body = JSON.stringify({ ...LONG, stream: false })
      const socket = net.connect(s.server.port, '127.0.0.1')
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      )
      const deadline = Date.now() + 5000
      while (activeSlots(s) !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      t.equal(activeSlots(s), 1, 'generation started')
      await new Promise((resolve) => setTimeout(resolve, 200))
      socket.destroy()
      const ms = await slotsFreeAfter(s, 1000)
      t.ok(ms >= 0, `the slot is free again within 1 s (${ms} ms)`)
      await nextRequestStarts(t, s)
    })
  })
}
