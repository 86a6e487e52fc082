import t from 'tap'
import { Type } from 'typebox'
import { ApiError, BadRequestError, NotFoundError } from '../../../src/http/errors.js'
import { createHttpApp, type HttpAppOptions, type HttpResponse } from '../../../src/http/http-app.js'
import { createLogger } from '../../../src/http/logger.js'
import { sse } from '../../../src/http/reply.js'
import { createIncomingRequest } from '../../../src/http/request.js'
import { Router, type Route } from '../../../src/http/router.js'
import type { SseEvent } from '../../../src/http/sse.js'

// A lower layer's own error, as the engine and the store throw them: a code, no HTTP status
class LayerError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

const GENERIC_500 = 'The server had an error while processing your request. Sorry about that!'

function build(options: Partial<HttpAppOptions> = {}) {
  const lines: string[] = []
  const seen: { error: unknown; route: Route | null }[] = []
  const router = new Router()
  const fail = (what: string): never => {
    if (what === 'api') throw new NotFoundError('item', 'x1')
    if (what === 'mapped') throw new LayerError('too_long', 'The prompt is longer than the context')
    throw new Error('secret internal detail')
  }
  router.post('/v1/prompt', { body: Type.Object({ fail: Type.String() }), inputParam: 'prompt' }, (c) =>
    fail(c.body.fail),
  )
  router.get('/v1/items/:id', { params: Type.Object({ id: Type.String() }) }, async (c) => {
    await Promise.resolve() // a rejection, not a synchronous throw
    return fail(c.params.id)
  })
  const streamOf = (what: string) =>
    (async function* (): AsyncGenerator<SseEvent> {
      yield { data: 'first' }
      fail(what)
    })()
  router.get('/v1/stream/:what', { params: Type.Object({ what: Type.String() }) }, (c) =>
    sse(streamOf(c.params.what), { errorEvent: (error) => ({ event: 'error', data: JSON.stringify(error) }) }),
  )
  router.get('/v1/unframed', {}, () => sse(streamOf('unexpected')))
  const app = createHttpApp({
    router,
    maxBodyBytes: 1 << 20,
    logger: createLogger({ level: 'debug', stream: { write: (s: string) => lines.push(s) } }),
    mapError: (error, route) => {
      seen.push({ error, route })
      if (error instanceof LayerError && error.code === 'too_long')
        return new BadRequestError(error.message, { code: 'context_length_exceeded', param: route?.schemas.inputParam })
      return null
    },
    ...options,
  })
  return { app, lines, seen }
}

function bodyOf(response: HttpResponse): { error: Record<string, unknown> } {
  if (!('body' in response)) throw new Error('expected a body')
  return JSON.parse(response.body) as { error: Record<string, unknown> }
}

async function streamText(response: HttpResponse): Promise<{ text: string; ended: boolean; destroyed: boolean }> {
  if ('body' in response) throw new Error('expected a stream')
  let text = ''
  let ended = false
  let destroyed = false
  await response.pipe({
    aborted: false,
    write: (chunk) => {
      text += new TextDecoder().decode(chunk)
      return true
    },
    drained: async () => {},
    end: () => {
      ended = true
    },
    destroy: () => {
      destroyed = true
    },
  })
  return { text, ended, destroyed }
}

t.test('a thrown ApiError is the reply as is and never reaches the error hook', async (t) => {
  const { app, seen } = build()
  const response = await app.handle(createIncomingRequest('GET', '/v1/items/api'))
  t.equal(response.status, 404)
  t.same(bodyOf(response).error, {
    message: "No item found with id 'x1'.",
    type: 'invalid_request_error',
    param: null,
    code: null,
  })
  t.same(seen, [])
})

t.test("the error hook maps a lower layer's error, naming the route's inputParam", async (t) => {
  const { app, seen, lines } = build()
  const response = await app.handle(createIncomingRequest('POST', '/v1/prompt', { json: { fail: 'mapped' } }))
  t.equal(response.status, 400)
  t.same(bodyOf(response).error, {
    message: 'The prompt is longer than the context',
    type: 'invalid_request_error',
    param: 'prompt',
    code: 'context_length_exceeded',
  })
  t.equal(seen.length, 1)
  t.equal(seen[0]?.route?.path, '/v1/prompt', 'the hook is told the matched route')
  t.notMatch(lines.join(''), /ERROR/, 'a mapped error is not logged as unexpected')
})

t.test(
  'an unexpected error (sync throw or rejection) is logged with the request id and answered a generic 500',
  async (t) => {
    for (const request of [
      createIncomingRequest('POST', '/v1/prompt', { json: { fail: 'unexpected' }, headers: { 'x-request-id': 'r-1' } }),
      createIncomingRequest('GET', '/v1/items/unexpected', { headers: { 'x-request-id': 'r-2' } }),
    ]) {
      const { app, lines } = build()
      const response = await app.handle(request)
      t.equal(response.status, 500)
      t.same(bodyOf(response).error, { message: GENERIC_500, type: 'server_error', param: null, code: null })
      if ('body' in response) t.notMatch(response.body, /secret|at /, 'no detail, no stack')
      const log = lines.join('')
      t.match(log, new RegExp(`ERROR Unhandled error req_id=${request.headers['x-request-id']} error="secret`))
      t.match(log, /Error: secret internal detail\n\s+at /, 'the stack goes to the log')
    }
  },
)

t.test('without an error hook every non-ApiError is a logged 500', async (t) => {
  const { app, lines } = build({ mapError: undefined })
  const response = await app.handle(createIncomingRequest('POST', '/v1/prompt', { json: { fail: 'mapped' } }))
  t.equal(response.status, 500)
  t.match(lines.join(''), /ERROR Unhandled error .*The prompt is longer/)
})

t.test(
  "a stream's error after its status went out is mapped by the same hook into the route's error event",
  async (t) => {
    const { app, seen } = build()
    const mapped = await streamText(await app.handle(createIncomingRequest('GET', '/v1/stream/mapped')))
    t.equal(
      mapped.text,
      'data: first\n\nevent: error\ndata: {"message":"The prompt is longer than the context",' +
        '"type":"invalid_request_error","param":null,"code":"context_length_exceeded"}\n\n',
    )
    t.ok(mapped.ended, 'the stream ends normally after the error event')
    t.equal(seen[0]?.route?.path, '/v1/stream/:what')

    const api = await streamText(await app.handle(createIncomingRequest('GET', '/v1/stream/api')))
    t.match(api.text, /event: error\ndata: \{"message":"No item found with id 'x1'\.","type":"invalid_request_error"/)
  },
)

t.test('an unexpected stream error becomes a generic error event and is logged with the request id', async (t) => {
  const { app, lines } = build()
  const response = await app.handle(
    createIncomingRequest('GET', '/v1/stream/unexpected', { headers: { 'x-request-id': 'stream-9' } }),
  )
  const { text, ended } = await streamText(response)
  t.equal(
    text,
    `data: first\n\nevent: error\ndata: {"message":"${GENERIC_500}","type":"server_error","param":null,"code":null}\n\n`,
  )
  t.ok(ended)
  t.notMatch(text, /secret/)
  const log = lines.join('')
  t.match(log, /ERROR Unhandled error req_id=stream-9 error="secret internal detail"/)
  t.match(log, /GET \/v1\/stream\/unexpected 200 \d+ms \d+B stream-9 error\n/, 'the access log notes the error')
})

t.test('a stream without an error event is cut off on an error, so the client sees it truncated', async (t) => {
  const { app, lines } = build()
  const { text, ended, destroyed } = await streamText(await app.handle(createIncomingRequest('GET', '/v1/unframed')))
  t.equal(text, 'data: first\n\n')
  t.notOk(ended)
  t.ok(destroyed)
  t.match(lines.join(''), /ERROR Stream failed/)
})

t.test('ApiError from the hook keeps its headers (Retry-After)', async (t) => {
  const { app } = build({
    mapError: () => new ApiError(503, 'Busy', { retryAfterMs: 1500 }),
  })
  const response = await app.handle(createIncomingRequest('GET', '/v1/items/unexpected'))
  t.equal(response.status, 503)
  t.equal(response.headers['retry-after'], '2')
  t.equal(response.headers['retry-after-ms'], '1500')
  t.match(response.headers['x-request-id'], /^req_/)
})
