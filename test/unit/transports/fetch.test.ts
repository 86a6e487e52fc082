import t from 'tap'
import { Type } from 'typebox'
import { createHttpApp } from '../../../src/http/http-app.js'
import { createLogger } from '../../../src/http/logger.js'
import { sse } from '../../../src/http/reply.js'
import { Router } from '../../../src/http/router.js'
import type { SseEvent } from '../../../src/http/sse.js'
import { createFetchTransport } from '../../../src/transports/fetch.js'

const MAX_BODY = 4096
const EVENT_BYTES = 4096

type Produced = { yielded: number; aborted: boolean; finalized: boolean }

/** The fetch transport over a real HttpApp with a toy route table; `produced` records the last stream's producer. */
function setup(options: { heartbeatMs?: number; gate?: Promise<void> } = {}) {
  const produced: Produced = { yielded: 0, aborted: false, finalized: false }
  const router = new Router()
  router.post('/v1/echo', { body: Type.Object({ model: Type.String() }) }, (c) => ({ model: c.body.model }))
  router.get('/v1/events', { query: Type.Object({ count: Type.Integer({ minimum: 1 }) }) }, (c) => {
    c.signal.addEventListener('abort', () => {
      produced.aborted = true
    })
    return sse(
      (async function* (): AsyncGenerator<SseEvent> {
        try {
          for (let i = 0; i < c.query.count; i++) {
            produced.yielded++
            yield { data: `${i} ${'x'.repeat(EVENT_BYTES)}` }
          }
        } finally {
          produced.finalized = true
        }
      })(),
    )
  })
  router.get('/v1/slow', {}, () =>
    sse(
      (async function* (): AsyncGenerator<SseEvent> {
        await options.gate
        yield { data: 'late' }
      })(),
    ),
  )
  const lines: string[] = []
  const logger = createLogger({ level: 'info', stream: { write: (line: string) => lines.push(line) } })
  const app = createHttpApp({ router, logger, maxBodyBytes: MAX_BODY, heartbeatMs: options.heartbeatMs ?? 0 })
  return { transport: createFetchTransport(app), produced, lines }
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

/** Waits until `done()` holds, yielding to the event loop between checks (no timers). */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve))
}

t.test('a JSON route answers through fetch with the status, headers and body of the app', async (t) => {
  const { transport } = setup()
  const res = await transport.fetch(new Request('http://h/v1/echo', json({ model: 'm' })))
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
  t.match(res.headers.get('x-request-id'), /^req_/)
  t.same(await res.json(), { model: 'm' })
  t.equal(transport.active, 0, 'no request left in flight')
})

t.test('an invalid body gets the 400 envelope naming the field', async (t) => {
  const { transport } = setup()
  const res = await transport.fetch(new Request('http://h/v1/echo', json({ model: 5 })))
  t.equal(res.status, 400)
  const body = (await res.json()) as { error: { param: string; type: string } }
  t.equal(body.error.type, 'invalid_request_error')
  t.equal(body.error.param, 'model')
})

t.test('a body over the cap is refused with 413, declared or streamed without a length', async (t) => {
  const { transport } = setup()
  const big = new Request('http://h/v1/echo', json({ model: 'x'.repeat(MAX_BODY) }))
  const declared = await transport.fetch(big)
  t.equal(declared.status, 413)
  t.match(await declared.json(), { error: { code: 'request_too_large' } })
  const chunks = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 3; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(MAX_BODY / 2)))
      controller.close()
    },
  })
  const streamed = await transport.fetch(
    new Request('http://h/v1/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunks,
      duplex: 'half',
    } as RequestInit),
  )
  t.equal(streamed.status, 413)
})

t.test('an SSE reply is a stream the reader pulls: the producer runs only a bounded way ahead', async (t) => {
  const { transport, produced, lines } = setup()
  const res = await transport.fetch(new Request('http://h/v1/events?count=200'))
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/event-stream/)
  await settle(() => false) // give an unread stream every chance to run ahead
  const ahead = produced.yielded
  t.ok(ahead < 20, `an unread stream stopped after ${ahead} of 200 events (16 KiB buffer, 4 KiB events)`)
  const text = await res.text()
  t.equal(produced.yielded, 200, 'reading it lets the rest through')
  t.equal(text.split('\n\n').filter(Boolean).length, 200)
  await settle(() => lines.some((line) => line.includes('GET /v1/events 200')))
  t.ok(
    lines.some((line) => / GET \/v1\/events 200 .*B req_\w+\n$/.test(line)),
    'the access log line is written when it ends',
  )
  t.equal(transport.active, 0)
})

t.test("cancelling the response stream aborts the request's signal and ends the producer", async (t) => {
  const { transport, produced, lines } = setup()
  const res = await transport.fetch(new Request('http://h/v1/events?count=100000'))
  const reader = res.body!.getReader()
  await reader.read()
  await reader.cancel()
  await settle(() => produced.finalized)
  t.ok(produced.aborted, "the handler's signal aborted")
  t.ok(produced.finalized, "the producer's finally ran")
  t.ok(produced.yielded < 100000)
  await settle(() => transport.active === 0)
  t.equal(transport.active, 0)
  t.ok(
    lines.some((line) => line.includes('GET /v1/events 200') && line.trim().endsWith('aborted')),
    'logged as aborted',
  )
})

t.test("an aborted request.signal aborts the handler's signal", async (t) => {
  const { transport, produced } = setup()
  const client = new AbortController()
  const res = await transport.fetch(new Request('http://h/v1/events?count=100000', { signal: client.signal }))
  client.abort()
  await settle(() => produced.finalized)
  t.ok(produced.aborted)
  t.ok(produced.finalized)
  await res.body?.cancel().catch(() => undefined)
})

t.test('closeAll() cuts streams in flight and stopAccepting() answers later requests 503', async (t) => {
  const { transport, produced } = setup()
  const res = await transport.fetch(new Request('http://h/v1/events?count=100000'))
  const reader = res.body!.getReader()
  await reader.read()
  transport.stopAccepting()
  const later = await transport.fetch(new Request('http://h/v1/echo', json({ model: 'm' })))
  t.equal(later.status, 503)
  t.match(await later.json(), { error: { message: 'The server is stopping', type: 'server_error' } })
  t.equal(transport.active, 1, 'the stream is still in flight')
  transport.closeAll()
  await t.rejects(
    (async () => {
      for (;;) if ((await reader.read()).done) return
    })(),
    { message: /stopped before the reply was complete/ },
    'the reader sees the stream cut short, not a clean end',
  )
  await settle(() => produced.finalized)
  t.ok(produced.aborted)
  await settle(() => transport.active === 0)
  t.equal(transport.active, 0)
})

t.test('an SSE stream waiting on its producer carries : ping heartbeats, then the event', async (t) => {
  let open = () => {}
  const gate = new Promise<void>((resolve) => (open = resolve))
  const { transport } = setup({ heartbeatMs: 5, gate })
  const res = await transport.fetch(new Request('http://h/v1/slow'))
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  while (!text.includes(': ping\n\n')) text += (await reader.read()).value ?? ''
  t.ok(text.startsWith(': ping\n\n'), 'a heartbeat comment while the producer waits')
  open()
  for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value
  t.match(text, /data: late\n\n$/, 'then the event, and the stream ends')
})
