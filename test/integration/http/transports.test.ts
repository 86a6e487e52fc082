import http from 'node:http'
import net from 'node:net'
import t, { type Test } from 'tap'
import { Type } from 'typebox'
import { createHttpApp, type HttpAppOptions } from '../../../src/http/http-app.js'
import { createLogger } from '../../../src/http/logger.js'
import { sse } from '../../../src/http/reply.js'
import { Router } from '../../../src/http/router.js'
import type { SseEvent } from '../../../src/http/sse.js'
import { startHttpServer, type HttpServer } from '../../../src/transports/start.js'
import { loadUws } from '../../../src/transports/uws.js'

const TRANSPORTS = ['uws', 'node'] as const
const MAX_BODY = 4096
const API_KEY = 'sk-test-key-1234'

type StreamState = { yielded: number; aborted: boolean; finalized: boolean; finalizedAt: number; abortedAt: number }

/** A toy route table: JSON, params, SSE of a chosen size, and an endless SSE; `streams` records each producer by x-request-id. */
function toyRouter(streams: Map<string, StreamState>): Router {
  const router = new Router()
  router.post(
    '/v1/echo',
    {
      body: Type.Object({
        model: Type.String(),
        messages: Type.Optional(Type.Array(Type.Object({ role: Type.String(), content: Type.String() }))),
      }),
      response: Type.Object({ model: Type.String(), count: Type.Integer() }),
    },
    (c) => ({ model: c.body.model, count: c.body.messages?.length ?? 0 }),
  )
  router.get('/v1/items/:id', { params: Type.Object({ id: Type.String() }) }, (c) => ({
    id: c.params.id,
    q: c.request.rawQuery,
  }))
  router.get('/health', { public: true }, () => ({ status: 'ok' }))
  router.get(
    '/v1/events',
    { query: Type.Object({ count: Type.Integer({ minimum: 1 }), size: Type.Integer({ default: 10 }) }) },
    (c) => {
      const state: StreamState = { yielded: 0, aborted: false, finalized: false, finalizedAt: 0, abortedAt: 0 }
      streams.set(c.requestId, state)
      c.signal.addEventListener('abort', () => {
        state.aborted = true
        state.abortedAt = Date.now()
      })
      const payload = 'x'.repeat(c.query.size)
      return sse(
        (async function* (): AsyncGenerator<SseEvent> {
          try {
            for (let i = 0; i < c.query.count; i++) {
              state.yielded++
              yield { data: `${i} ${payload}` }
            }
            yield { data: '[DONE]' }
          } finally {
            state.finalized = true
            state.finalizedAt = Date.now()
          }
        })(),
      )
    },
  )
  router.get('/v1/forever', {}, (c) => {
    const state: StreamState = { yielded: 0, aborted: false, finalized: false, finalizedAt: 0, abortedAt: 0 }
    streams.set(c.requestId, state)
    c.signal.addEventListener('abort', () => {
      state.aborted = true
      state.abortedAt = Date.now()
    })
    return sse(
      (async function* (): AsyncGenerator<SseEvent> {
        try {
          while (!c.signal.aborted) {
            state.yielded++
            yield { data: JSON.stringify({ tick: state.yielded }) }
            // Producers wait on work with the signal, so an abort wakes them at once
            await new Promise((resolve) => {
              const timer = setTimeout(resolve, 20)
              c.signal.addEventListener(
                'abort',
                () => {
                  clearTimeout(timer)
                  resolve(undefined)
                },
                { once: true },
              )
            })
          }
        } finally {
          state.finalized = true
          state.finalizedAt = Date.now()
        }
      })(),
    )
  })
  return router
}

async function start(t: Test, transport: 'uws' | 'node', options: Partial<HttpAppOptions> = {}) {
  const streams = new Map<string, StreamState>()
  const logger = createLogger({ level: 'warn', stream: process.stderr })
  const app = createHttpApp({
    router: toyRouter(streams),
    maxBodyBytes: MAX_BODY,
    logger,
    validateReplies: true,
    heartbeatMs: 0,
    ...options,
  })
  const server = await startHttpServer(app, { transport, host: '127.0.0.1', port: 0, logger })
  t.teardown(() => server.close())
  t.equal(server.transport, transport)
  return { server, streams }
}

async function errorOf(
  response: Response,
): Promise<{ message: string; type: string; param: string | null; code: string | null }> {
  const body = (await response.json()) as {
    error: { message: string; type: string; param: string | null; code: string | null }
  }
  return body.error
}

function post(
  server: HttpServer,
  path: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  return fetch(`${server.url}${path}`, { method: 'POST', headers, body })
}

/** Sends a request with node:http, body in chunks and no content-length (chunked), and returns status and text. */
function chunkedPost(
  port: number,
  path: string,
  chunks: Buffer[],
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          text += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }))
        res.on('error', reject)
      },
    )
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close while we still send; what matters is the reply we already read
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    for (const chunk of chunks) req.write(chunk)
    req.end()
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) return false
    await sleep(10)
  }
  return true
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: a JSON route answers 200 with x-request-id`, async (t) => {
    const { server } = await start(t, transport)
    const response = await post(
      server,
      '/v1/echo',
      JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], extra: 1 }),
    )
    t.equal(response.status, 200)
    t.same(await response.json(), { model: 'm', count: 1 })
    t.match(response.headers.get('x-request-id'), /^req_[0-9a-f]{32}$/)
    t.equal(response.headers.get('content-type'), 'application/json')
    const item = await fetch(`${server.url}/v1/items/a%2Fb?x=1&y=2`, { headers: { 'x-request-id': 'client-id-1' } })
    t.same(await item.json(), { id: 'a/b', q: 'x=1&y=2' })
    t.equal(item.headers.get('x-request-id'), 'client-id-1')
  })

  t.test(`${transport}: body problems are 400s in the error envelope`, async (t) => {
    const { server } = await start(t, transport)
    let response = await post(
      server,
      '/v1/echo',
      JSON.stringify({
        model: 'm',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 7 },
        ],
      }),
    )
    t.equal(response.status, 400)
    t.same(await errorOf(response), {
      message: "Invalid type for 'messages[1].content': expected a string, but got an integer.",
      type: 'invalid_request_error',
      param: 'messages[1].content',
      code: 'invalid_type',
    })
    response = await post(server, '/v1/echo', '{"model": ')
    t.equal(response.status, 400)
    const invalid = await errorOf(response)
    t.match(invalid.message, /^We could not parse the JSON body of your request/)
    t.equal(invalid.code, null)
    response = await post(server, '/v1/echo', '{"model":"m"}', { 'content-type': 'text/plain' })
    t.equal(response.status, 400)
    t.match((await errorOf(response)).message, /Unsupported content type: 'text\/plain'/)
    response = await post(server, '/v1/echo', '')
    t.equal(response.status, 400)
    t.match((await errorOf(response)).message, /^We could not parse the JSON body of your request\. \(HINT/)
    t.match(response.headers.get('x-request-id'), /^req_/)
  })

  t.test(`${transport}: unknown routes are 404, wrong methods 405 with Allow`, async (t) => {
    const { server } = await start(t, transport)
    let response = await fetch(`${server.url}/v1/nothing`)
    t.equal(response.status, 404)
    t.same(await errorOf(response), {
      message: 'Invalid URL (GET /v1/nothing)',
      type: 'invalid_request_error',
      param: null,
      code: null,
    })
    response = await fetch(`${server.url}/v1/echo`)
    t.equal(response.status, 405)
    t.equal(response.headers.get('allow'), 'POST')
    t.equal((await errorOf(response)).message, 'Invalid method for URL (GET /v1/echo)')
  })

  t.test(`${transport}: without keys, rate limits count per client address`, async (t) => {
    const { server } = await start(t, transport, { rateLimit: { requests: 2, tokens: 0 } })
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${server.url}/v1/items/a`)
      statuses.push(response.status)
      if (i === 2) {
        t.equal(response.headers.get('x-ratelimit-remaining-requests'), '0')
        t.match(response.headers.get('retry-after') ?? '', /^\d+$/)
        t.equal((await errorOf(response)).code, 'rate_limit_exceeded')
      } else await response.arrayBuffer()
    }
    t.same(statuses, [200, 200, 429], 'the address read from the socket is the caller')
    const health = await fetch(`${server.url}/health`)
    t.equal(health.status, 200, '/health is never limited')
    await health.arrayBuffer()
  })

  t.test(`${transport}: API keys guard /v1 and leave /health open`, async (t) => {
    const { server } = await start(t, transport, { apiKeys: [API_KEY] })
    let response = await fetch(`${server.url}/v1/items/a`)
    t.equal(response.status, 401)
    t.equal((await errorOf(response)).code, 'invalid_api_key')
    response = await fetch(`${server.url}/v1/items/a`, { headers: { authorization: 'Bearer sk-wrong' } })
    t.equal(response.status, 401)
    await response.arrayBuffer()
    response = await fetch(`${server.url}/v1/items/a`, { headers: { authorization: `Bearer ${API_KEY}` } })
    t.equal(response.status, 200)
    await response.arrayBuffer()
    response = await fetch(`${server.url}/health`)
    t.equal(response.status, 200)
    t.same(await response.json(), { status: 'ok' })
  })

  t.test(`${transport}: CORS answers preflights only when an origin is configured`, async (t) => {
    const off = await start(t, transport)
    let response = await fetch(`${off.server.url}/v1/items/a`, { headers: { origin: 'http://example.test' } })
    t.equal(response.headers.get('access-control-allow-origin'), null)
    await response.arrayBuffer()
    response = await fetch(`${off.server.url}/v1/echo`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' },
    })
    t.equal(response.status, 405)
    t.equal(response.headers.get('access-control-allow-origin'), null)
    await response.arrayBuffer()

    const on = await start(t, transport, { corsOrigin: 'http://example.test', apiKeys: [API_KEY] })
    response = await fetch(`${on.server.url}/v1/echo`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://example.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-stainless-os',
      },
    })
    t.equal(response.status, 204)
    t.equal(response.headers.get('access-control-allow-origin'), 'http://example.test')
    t.match(response.headers.get('access-control-allow-methods'), /POST/)
    t.match(response.headers.get('access-control-allow-headers'), /authorization.*content-type.*openai-beta/)
    t.match(response.headers.get('access-control-allow-headers'), /x-stainless-os/)
    t.ok(response.headers.get('x-request-id'))
    response = await fetch(`${on.server.url}/v1/items/a`, {
      headers: { origin: 'http://example.test', authorization: `Bearer ${API_KEY}` },
    })
    t.equal(response.headers.get('access-control-allow-origin'), 'http://example.test')
    t.match(response.headers.get('access-control-expose-headers'), /x-request-id/)
    await response.arrayBuffer()
  })

  t.test(`${transport}: a body over the limit is a 413, with or without content-length`, async (t) => {
    const { server } = await start(t, transport)
    const big = JSON.stringify({ model: 'x'.repeat(MAX_BODY * 2) })
    const response = await post(server, '/v1/echo', big)
    t.equal(response.status, 413)
    const error = await errorOf(response)
    t.equal(error.message, `Request body too large: the limit is ${MAX_BODY} bytes.`)
    t.equal(response.headers.get('x-should-retry'), 'false')
    t.ok(response.headers.get('x-request-id'))

    const chunked = await chunkedPost(
      server.port,
      '/v1/echo',
      Array.from({ length: 12 }, () => Buffer.alloc(1024, 0x20)),
    )
    t.equal(chunked.status, 413)
    t.match(chunked.text, /Request body too large/)
    t.equal(chunked.headers['content-length'] !== undefined || chunked.headers['transfer-encoding'] !== undefined, true)

    const fits = await chunkedPost(server.port, '/v1/echo', [Buffer.from('{"model":'), Buffer.from('"m"}')])
    t.equal(fits.status, 200, 'a chunked body under the limit is read whole')
    t.same(JSON.parse(fits.text), { model: 'm', count: 0 })
  })

  t.test(`${transport}: an SSE route streams 1000 events in full`, async (t) => {
    const { server, streams } = await start(t, transport)
    const response = await fetch(`${server.url}/v1/events?count=1000&size=50`, {
      headers: { 'x-request-id': 'full-1' },
    })
    t.equal(response.status, 200)
    t.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    const body = await response.text()
    const data = body.split('\n\n').filter((block) => block.startsWith('data: '))
    t.equal(data.length, 1001)
    t.equal(data[999], `data: 999 ${'x'.repeat(50)}`)
    t.equal(data[1000], 'data: [DONE]')
    t.ok(streams.get('full-1')?.finalized)
    t.notOk(streams.get('full-1')?.aborted, 'a complete stream is not an abort')
  })

  t.test(`${transport}: a client that stops reading stops the producer`, async (t) => {
    const { server, streams } = await start(t, transport)
    const total = 100_000
    const socket = net.connect(server.port, '127.0.0.1')
    t.teardown(() => socket.destroy())
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(`GET /v1/events?count=${total}&size=4096 HTTP/1.1\r\nHost: x\r\nx-request-id: slow-1\r\n\r\n`)
    let received = 0
    socket.on('data', (chunk: Buffer) => {
      if (received === 0) socket.pause() // read the first chunk, then stop reading
      received += chunk.byteLength
    })
    t.ok(await waitFor(() => received > 0, 5000), 'the stream started')
    const state = () => streams.get('slow-1')
    let last = -1
    // Wait until the producer has stopped advancing: kernel and library buffers are full
    const stalled = await waitFor(() => {
      const now = state()?.yielded ?? 0
      const same = now === last
      last = now
      return same && now > 0
    }, 10_000)
    t.ok(stalled, 'the producer stalls')
    await sleep(500)
    const yielded = state()?.yielded ?? 0
    t.equal(yielded, last, 'and stays stalled while the client does not read')
    t.ok(yielded < total / 4, `only buffers' worth was produced (${yielded} of ${total} events of 4 KiB)`)
    t.comment(`${transport}: ${yielded} events produced while the client did not read`)
    socket.resume()
    t.ok(await waitFor(() => (state()?.yielded ?? 0) > yielded + 500, 10_000), 'reading again lets it continue')
    socket.destroy()
    t.ok(await waitFor(() => state()?.finalized === true, 2000), 'closing the socket ends the producer')
    t.ok(state()?.aborted)
  })

  t.test(`${transport}: a client disconnect mid-stream aborts c.signal and runs the producer's finally`, async (t) => {
    const { server, streams } = await start(t, transport)
    const controller = new AbortController()
    const response = await fetch(`${server.url}/v1/forever`, {
      headers: { 'x-request-id': 'gone-1' },
      signal: controller.signal,
    })
    t.equal(response.status, 200)
    const reader = response.body!.getReader()
    let text = ''
    while ((text.match(/data: /g) ?? []).length < 3) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    t.match(text, /data: \{"tick":1\}\n\n/)
    const leftAt = Date.now()
    controller.abort()
    const state = () => streams.get('gone-1')
    t.ok(await waitFor(() => state()?.finalized === true, 1000), 'the producer finally ran within 1 s')
    t.ok(state()?.aborted, 'c.signal aborted')
    t.ok((state()?.finalizedAt ?? Infinity) - leftAt < 1000)
    t.ok(await waitFor(() => server.active === 0, 1000), 'no request is left in flight')
  })

  t.test(`${transport}: close() drops open streams and refuses new connections`, async (t) => {
    const { server, streams } = await start(t, transport)
    const response = await fetch(`${server.url}/v1/forever`, { headers: { 'x-request-id': 'open-1' } })
    const reader = response.body!.getReader()
    await reader.read()
    await server.close()
    t.ok(await waitFor(() => streams.get('open-1')?.finalized === true, 1000), 'the open stream was ended')
    await reader
      .read()
      .then(() => reader.read())
      .catch(() => null)
    await t.rejects(fetch(`${server.url}/health`), 'no longer listening')
  })
}

t.test('auto serves with uWebSockets.js when it loads, from the pinned uwebsockets package', async (t) => {
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', stream: { write: (s: string) => lines.push(s) } })
  const loaded = loadUws(logger)
  t.equal(loaded.ok && loaded.from, 'uwebsockets')
  const app = createHttpApp({ router: toyRouter(new Map()), maxBodyBytes: MAX_BODY, logger })
  const server = await startHttpServer(app, { transport: 'auto', host: '127.0.0.1', port: 0, logger })
  t.teardown(() => server.close())
  t.equal(server.transport, 'uws')
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal((await fetch(`${server.url}/health`)).status, 200)
  t.notOk(
    lines.some((line) => line.includes('WARN')),
    'no fallback warning',
  )
})
