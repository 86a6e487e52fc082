import t, { type Test } from 'tap'
import { Type } from 'typebox'
import {
  ApiError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
  ConflictError,
} from '../../../src/http/errors.js'
import { createHttpApp, type HttpAppOptions, type HttpResponse } from '../../../src/http/http-app.js'
import { createLogger } from '../../../src/http/logger.js'
import { json, sse, text } from '../../../src/http/reply.js'
import { createIncomingRequest, type CreateRequestOptions } from '../../../src/http/request.js'
import { Router } from '../../../src/http/router.js'
import type { SseEvent } from '../../../src/http/sse.js'

const Item = Type.Object({ id: Type.String(), object: Type.Literal('item'), n: Type.Integer() })

function build(options: Partial<HttpAppOptions> = {}) {
  const lines: string[] = []
  const router = new Router()
  router.post(
    '/v1/items',
    { body: Type.Object({ n: Type.Integer(), name: Type.Optional(Type.String()) }), response: Item },
    (c) => {
      c.header('openai-poll-after-ms', '250')
      return { id: `item_${c.body.n}`, object: 'item' as const, n: c.body.n }
    },
  )
  router.get('/v1/items/:id', { params: Type.Object({ id: Type.String() }), response: Item }, (c) => {
    if (c.params.id === 'missing') throw new NotFoundError('item', c.params.id)
    if (c.params.id === 'crash') throw new Error('secret internal detail')
    if (c.params.id === 'busy') throw new RateLimitError('Slow down', { retryAfterMs: 1500 })
    if (c.params.id === 'done') throw new ConflictError('Cannot cancel run: it is completed', { shouldRetry: false })
    if (c.params.id === 'down') throw new ServiceUnavailableError('No model is ready', { retryAfterMs: 2000 })
    if (c.params.id === 'wrong')
      return { id: 'x', object: 'item', n: 'not a number' } as unknown as { id: string; object: 'item'; n: number }
    return { id: c.params.id, object: 'item' as const, n: 1 }
  })
  router.post('/v1/items/:id/copy', {}, () => json(201, { copied: true }, { location: '/v1/items/2' }))
  router.get('/health', { public: true }, () => text(200, 'ok'))
  router.post('/tokenize', {}, () => ({ tokens: [] }))
  router.get('/v1/stream', {}, (c) =>
    sse(
      (async function* (): AsyncGenerator<SseEvent> {
        yield { data: c.requestId }
        yield { event: 'done', data: '[DONE]' }
      })(),
      { headers: { 'x-extra': '1' } },
    ),
  )
  const app = createHttpApp({
    router,
    maxBodyBytes: 1 << 20,
    validateReplies: true,
    logger: createLogger({ level: 'debug', stream: { write: (s: string) => lines.push(s) } }),
    ...options,
  })
  const call = async (method: string, url: string, request: CreateRequestOptions = {}) => {
    const response = await app.handle(createIncomingRequest(method, url, request))
    return {
      response,
      body: 'body' in response ? response.body : '',
      json: () => JSON.parse('body' in response ? response.body : 'null') as unknown,
    }
  }
  return { app, call, lines }
}

function envelope(
  status: number,
  message: string | RegExp,
  extra: { param?: string | null; code?: string | null; type?: string } = {},
) {
  return {
    status,
    message,
    param: extra.param ?? null,
    code: extra.code ?? null,
    type: extra.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
  }
}

function checkError(t: Test, response: HttpResponse, body: unknown, want: ReturnType<typeof envelope>): void {
  t.equal(response.status, want.status)
  t.equal(response.headers['content-type'], 'application/json')
  const error = (body as { error: Record<string, unknown> }).error
  t.same(Object.keys(error).sort(), ['code', 'message', 'param', 'type'], 'all four keys are present')
  t.match(error.message, want.message)
  t.equal(error.param, want.param)
  t.equal(error.code, want.code)
  t.equal(error.type, want.type)
}

t.test('a handler returning an object replies 200 JSON with its headers and x-request-id', async (t) => {
  const { call, lines } = build()
  const { response, json } = await call('POST', '/v1/items', { json: { n: 3, extra_field: true } })
  t.equal(response.status, 200)
  t.same(json(), { id: 'item_3', object: 'item', n: 3 })
  t.equal(response.headers['openai-poll-after-ms'], '250')
  t.match(response.headers['x-request-id'], /^req_[0-9a-f]{32}$/)
  t.match(lines.join(''), /INFO  POST \/v1\/items 200 \d+ms \d+B req_[0-9a-f]{32}\n/, 'one access-log line')
})

t.test('json(status, body, headers) sets status and headers', async (t) => {
  const { call } = build()
  const { response, json } = await call('POST', '/v1/items/1/copy')
  t.equal(response.status, 201)
  t.equal(response.headers.location, '/v1/items/2')
  t.same(json(), { copied: true })
})

t.test('a sane client x-request-id is kept, a strange one replaced', async (t) => {
  const { call } = build()
  t.equal(
    (await call('GET', '/v1/items/a', { headers: { 'x-request-id': 'abc-123' } })).response.headers['x-request-id'],
    'abc-123',
  )
  t.match(
    (await call('GET', '/v1/items/a', { headers: { 'x-request-id': 'a b\u00e9' } })).response.headers['x-request-id'],
    /^req_/,
  )
})

t.test('body problems are 400s in the envelope', async (t) => {
  const { call } = build()
  let r = await call('POST', '/v1/items', { json: { n: 'x' } })
  checkError(
    t,
    r.response,
    r.json(),
    envelope(400, "Invalid type for 'n': expected an integer, but got a string.", { param: 'n', code: 'invalid_type' }),
  )
  r = await call('POST', '/v1/items', { body: '{"n": 1', headers: { 'content-type': 'application/json' } })
  checkError(t, r.response, r.json(), envelope(400, /^We could not parse the JSON body of your request/))
  r = await call('POST', '/v1/items', { headers: { 'content-type': 'application/json' } })
  checkError(t, r.response, r.json(), envelope(400, /^We could not parse the JSON body of your request\. \(HINT/))
  r = await call('POST', '/v1/items', { body: '{"n": 1}', headers: { 'content-type': 'text/plain' } })
  checkError(
    t,
    r.response,
    r.json(),
    envelope(400, /Unsupported content type: 'text\/plain'.*only accepts 'application\/json'/, {
      code: 'unsupported_content_type',
    }),
  )
  r = await call('POST', '/v1/items', {
    body: '{"n": 1}',
    headers: { 'content-type': 'application/json; charset=utf-8' },
  })
  t.equal(r.response.status, 200, 'a charset parameter is fine')
})

t.test('unknown routes are 404 and wrong methods 405 with Allow', async (t) => {
  const { call } = build()
  let r = await call('GET', '/v1/nothing')
  checkError(t, r.response, r.json(), envelope(404, 'Invalid URL (GET /v1/nothing)'))
  r = await call('DELETE', '/v1/items')
  checkError(t, r.response, r.json(), envelope(405, 'Invalid method for URL (DELETE /v1/items)'))
  t.equal(r.response.headers.allow, 'POST')
  t.equal(r.response.headers['x-should-retry'], 'false')
})

t.test('thrown ApiErrors keep their status, code and headers', async (t) => {
  const { call } = build()
  let r = await call('GET', '/v1/items/missing')
  checkError(t, r.response, r.json(), envelope(404, "No item found with id 'missing'."))
  r = await call('GET', '/v1/items/busy')
  checkError(t, r.response, r.json(), envelope(429, 'Slow down', { code: 'rate_limit_exceeded', type: 'requests' }))
  t.equal(r.response.headers['retry-after'], '2')
  t.equal(r.response.headers['retry-after-ms'], '1500')
  r = await call('GET', '/v1/items/done')
  t.equal(r.response.status, 409)
  t.equal(r.response.headers['x-should-retry'], 'false')
  r = await call('GET', '/v1/items/down')
  checkError(t, r.response, r.json(), envelope(503, 'No model is ready'))
  t.equal(r.response.headers['retry-after'], '2')
  t.match(r.response.headers['x-request-id'], /^req_/)
})

t.test('any other error is logged with the request id and answered with a generic 500', async (t) => {
  const { call, lines } = build()
  const r = await call('GET', '/v1/items/crash')
  checkError(
    t,
    r.response,
    r.json(),
    envelope(500, 'The server had an error while processing your request. Sorry about that!'),
  )
  t.notMatch(r.body, /secret/)
  const requestId = r.response.headers['x-request-id'] ?? ''
  t.match(lines.join(''), new RegExp(`ERROR Unhandled error req_id=${requestId} error="secret internal detail"`))
  t.match(lines.join(''), /Error: secret internal detail\n\s+at /, 'the stack goes to the log')
})

t.test('validateReplies turns a reply that breaks its schema into a 500 naming the field', async (t) => {
  const { call } = build()
  const r = await call('GET', '/v1/items/wrong')
  checkError(
    t,
    r.response,
    r.json(),
    envelope(500, /Reply does not match the response schema: Invalid type for 'n'/, { param: 'n' }),
  )
  const lenient = build({ validateReplies: false })
  t.equal((await lenient.call('GET', '/v1/items/wrong')).response.status, 200)
})

t.test('API keys guard every route but public ones, in constant form', async (t) => {
  const { call } = build({ apiKeys: ['sk-first-key-123', 'sk-second-key-456'] })
  let r = await call('GET', '/v1/items/a')
  checkError(t, r.response, r.json(), envelope(401, /You didn't provide an API key/, { code: 'invalid_api_key' }))
  r = await call('GET', '/v1/items/a', { headers: { authorization: 'Bearer sk-wrong-key-999' } })
  checkError(
    t,
    r.response,
    r.json(),
    envelope(401, 'Incorrect API key provided: sk-...-999.', { code: 'invalid_api_key' }),
  )
  t.equal(
    (await call('GET', '/v1/items/a', { headers: { authorization: 'Bearer sk-second-key-456' } })).response.status,
    200,
  )
  t.equal(
    (await call('GET', '/v1/items/a', { headers: { authorization: 'bearer sk-first-key-123' } })).response.status,
    200,
  )
  t.equal(
    (await call('GET', '/v1/items/a', { headers: { authorization: 'Bearer sk-first-key-12' } })).response.status,
    401,
    'a prefix is not the key',
  )
  t.equal((await call('GET', '/health')).response.status, 200, '/health stays open')
  t.equal((await call('POST', '/health')).response.status, 401, 'only the public route itself is open')
  t.equal((await call('POST', '/tokenize')).response.status, 401, 'routes outside /v1 need a key too')
  t.equal((await call('GET', '/v1/nothing')).response.status, 401, 'an unknown path needs a key')
  t.equal((await call('GET', '/nothing')).response.status, 401, 'outside /v1 too')
  const short = build({ apiKeys: ['k1'] })
  const masked = await short.call('GET', '/v1/items/a', { headers: { authorization: 'Bearer k2' } })
  t.equal((masked.json() as { error: { message: string } }).error.message, 'Incorrect API key provided: ***.')
})

t.test('publicRoutes opens listed routes without a key and refuses a path no route has', async (t) => {
  const { call } = build({ apiKeys: ['sk-key-000000'], publicRoutes: ['/v1/items/:id'] })
  t.equal((await call('GET', '/v1/items/a')).response.status, 200)
  t.equal((await call('POST', '/v1/items', { json: { n: 1 } })).response.status, 401, 'other routes still need one')
  t.throws(() => build({ apiKeys: ['k'], publicRoutes: ['/v1/item'] }), /Cannot make '\/v1\/item' public/)
})

t.test('CORS is off by default and complete when an origin is set', async (t) => {
  const off = build()
  const r = await off.call('GET', '/v1/items/a', { headers: { origin: 'http://localhost:3000' } })
  t.notOk(Object.keys(r.response.headers).some((h) => h.startsWith('access-control-')))
  t.equal((await off.call('OPTIONS', '/v1/items')).response.status, 405)

  const on = build({ corsOrigin: '*', apiKeys: ['sk-key-000000'] })
  const pre = await on.call('OPTIONS', '/v1/items', {
    headers: { 'access-control-request-headers': 'Authorization, X-Stainless-Lang, x-stainless-foo' },
  })
  t.equal(pre.response.status, 204, 'preflight needs no key')
  t.equal(pre.response.headers['access-control-allow-origin'], '*')
  t.match(pre.response.headers['access-control-allow-methods'], /POST/)
  for (const name of ['authorization', 'content-type', 'openai-beta', 'x-stainless-lang', 'x-stainless-foo']) {
    t.match(pre.response.headers['access-control-allow-headers'], new RegExp(`\\b${name}\\b`))
  }
  const denied = await on.call('GET', '/v1/items/a')
  t.equal(denied.response.status, 401)
  t.equal(denied.response.headers['access-control-allow-origin'], '*', 'errors carry CORS headers too')
  t.match(denied.response.headers['access-control-expose-headers'], /x-request-id.*openai-poll-after-ms/)
})

t.test('with several CORS origins a listed Origin is echoed and any other gets no CORS headers', async (t) => {
  const app = build({ corsOrigin: ['http://a.test', 'https://b.test'] })
  const listed = await app.call('GET', '/v1/items/a', { headers: { origin: 'https://b.test' } })
  t.equal(listed.response.headers['access-control-allow-origin'], 'https://b.test')
  t.equal(listed.response.headers.vary, 'origin')
  const pre = await app.call('OPTIONS', '/v1/items', { headers: { origin: 'http://a.test' } })
  t.equal(pre.response.status, 204)
  t.equal(pre.response.headers['access-control-allow-origin'], 'http://a.test')
  const other = await app.call('GET', '/v1/items/a', { headers: { origin: 'http://evil.test' } })
  t.notOk(Object.keys(other.response.headers).some((h) => h.startsWith('access-control-')))
  t.equal((await app.call('OPTIONS', '/v1/items', { headers: { origin: 'http://evil.test' } })).response.status, 405)
})

t.test('an SSE reply streams through pipe() into a sink and logs when done', async (t) => {
  const { app, lines } = build()
  const response = await app.handle(
    createIncomingRequest('GET', '/v1/stream', { headers: { 'x-request-id': 'stream-1' } }),
  )
  t.equal(response.status, 200)
  t.equal(response.headers['content-type'], 'text/event-stream; charset=utf-8')
  t.equal(response.headers['cache-control'], 'no-cache')
  t.equal(response.headers['x-extra'], '1')
  t.notOk('content-length' in response.headers)
  if ('body' in response || !('events' in response)) throw new Error('expected an SSE stream')
  const chunks: string[] = []
  let ended = false
  await response.pipe({
    aborted: false,
    write: (c) => {
      chunks.push(new TextDecoder().decode(c))
      return true
    },
    drained: async () => {},
    end: () => {
      ended = true
    },
    destroy: () => {},
  })
  t.equal(chunks.join(''), 'data: stream-1\n\nevent: done\ndata: [DONE]\n\n')
  t.ok(ended)
  t.match(lines.join(''), /GET \/v1\/stream 200 \d+ms 42B stream-1\n/)
})

t.test('sse() onDisconnect runs when the request signal aborts', async (t) => {
  const router = new Router()
  let disconnected = 0
  router.get('/v1/forever', {}, (c) =>
    sse(
      (async function* (): AsyncGenerator<SseEvent> {
        while (!c.signal.aborted) {
          yield { data: 'tick' }
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      })(),
      {
        onDisconnect: () => {
          disconnected++
        },
      },
    ),
  )
  const app = createHttpApp({
    router,
    maxBodyBytes: 1024,
    logger: createLogger({ level: 'silent', stream: { write: () => {} } }),
  })
  const controller = new AbortController()
  const response = await app.handle(createIncomingRequest('GET', '/v1/forever', { signal: controller.signal }))
  if ('body' in response || !('events' in response)) throw new Error('expected an SSE stream')
  let count = 0
  for await (const event of response.events) {
    if ('data' in event && ++count === 3) controller.abort()
  }
  t.equal(disconnected, 1)
})

t.test('sse() onDisconnect runs even when the client left while the handler ran', async (t) => {
  const router = new Router()
  let disconnected = 0
  router.get('/v1/late', {}, async (c) => {
    await new Promise((resolve) => c.signal.addEventListener('abort', resolve, { once: true }))
    return sse(
      (async function* (): AsyncGenerator<SseEvent> {
        yield { data: 'x' }
      })(),
      {
        onDisconnect: () => {
          disconnected++
        },
      },
    )
  })
  const app = createHttpApp({
    router,
    maxBodyBytes: 1024,
    logger: createLogger({ level: 'silent', stream: { write: () => {} } }),
  })
  const controller = new AbortController()
  const pending = app.handle(createIncomingRequest('GET', '/v1/late', { signal: controller.signal }))
  controller.abort()
  const response = await pending
  t.equal(response.status, 200)
  await new Promise((resolve) => setTimeout(resolve, 0))
  t.equal(disconnected, 1)
})

t.test('OPTIONS needs no key even without CORS', async (t) => {
  const { call } = build({ apiKeys: ['sk-key-000000'] })
  t.equal((await call('OPTIONS', '/v1/items')).response.status, 405)
})

t.test('ApiError defaults its type from the status', async (t) => {
  t.equal(new ApiError(418, 'x').type, 'invalid_request_error')
  t.equal(new ApiError(502, 'x').type, 'server_error')
  t.same(new ApiError(400, 'm', { param: 'p', code: 'c' }).toEnvelope(), {
    error: { message: 'm', type: 'invalid_request_error', param: 'p', code: 'c' },
  })
})

t.test('the abort signal is made only for a handler that reads c.signal, and that one aborts', async (t) => {
  const router = new Router()
  let read: AbortSignal | null = null
  router.get('/v1/cheap', {}, () => ({ ok: true }))
  router.get('/v1/waits', {}, (c) => {
    read = c.signal
    return new Promise((resolve) => c.signal.addEventListener('abort', () => resolve({ aborted: true })))
  })
  const app = createHttpApp({
    router,
    maxBodyBytes: 1024,
    logger: createLogger({ level: 'silent', stream: { write: () => {} } }),
  })
  // a transport's request whose signal getter counts reads, as transports/uws.ts and node.ts make them lazily
  const lazyRequest = (url: string) => {
    const controller = new AbortController()
    let reads = 0
    const request = {
      ...createIncomingRequest('GET', url),
      get signal() {
        reads++
        return controller.signal
      },
      get aborted() {
        return controller.signal.aborted
      },
    }
    return { request, controller, reads: () => reads }
  }
  const cheap = lazyRequest('/v1/cheap')
  t.equal((await app.handle(cheap.request)).status, 200)
  t.equal(cheap.reads(), 0, 'no signal for a handler that needs none')
  const waits = lazyRequest('/v1/waits')
  const pending = app.handle(waits.request)
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(read, 'the handler got a signal')
  waits.controller.abort()
  const response = await pending
  t.equal(response.status, 200)
  t.ok(waits.reads() > 0)
})
