import t from 'tap'
import { Type } from 'typebox'
import { chunkErrorEvent } from '../../../src/api/chunk-stream.js'
import { toApiError } from '../../../src/api/errors.js'
import { EngineError } from '../../../src/engine/errors.js'
import { BadRequestError } from '../../../src/http/errors.js'
import { createHttpApp } from '../../../src/http/http-app.js'
import { createLogger } from '../../../src/http/logger.js'
import { sse } from '../../../src/http/reply.js'
import { createIncomingRequest } from '../../../src/http/request.js'
import { Router } from '../../../src/http/router.js'
import type { SseEvent } from '../../../src/http/sse.js'
import { StoreError } from '../../../src/store/errors.js'

// The API's hook in an app as app.ts builds it, on routes that throw what the engine and the store throw
function build() {
  const lines: string[] = []
  const router = new Router()
  const errors: Record<string, Error> = {
    too_long: new EngineError('context_length_exceeded', 'This model has a context of 2048 tokens'),
    busy: new EngineError('busy', 'The server is busy'),
    missing: new StoreError('not_found', 'gone', { kind: 'thread', id: 'thread_abc' }),
    cursor: new StoreError('invalid_cursor', 'Unknown cursor', { param: 'after' }),
    bug: new TypeError('Cannot read properties of undefined'),
  }
  const throwing = (name: string): never => {
    throw errors[name] ?? new Error(`no error ${name}`)
  }
  const Params = Type.Object({ name: Type.String() })
  router.post('/v1/completions/:name', { params: Params, inputParam: 'prompt' }, (c) => throwing(c.params.name))
  router.post('/v1/embeddings/:name', { params: Params, inputParam: 'input' }, (c) => throwing(c.params.name))
  router.get('/v1/other/:name', { params: Params }, async (c) => throwing(c.params.name))
  router.get('/v1/stream/:name', { params: Params, inputParam: 'messages' }, (c) =>
    sse(
      (async function* (): AsyncGenerator<SseEvent> {
        yield { data: '{}' }
        throwing(c.params.name)
      })(),
      { errorEvent: chunkErrorEvent },
    ),
  )
  const app = createHttpApp({
    router,
    maxBodyBytes: 1024,
    logger: createLogger({ level: 'error', stream: { write: (s: string) => lines.push(s) } }),
    mapError: toApiError,
  })
  const call = async (method: string, url: string) => {
    const response = await app.handle(createIncomingRequest(method, url))
    if (!('body' in response)) throw new Error('expected a body')
    const body = JSON.parse(response.body) as { error: Record<string, unknown> }
    return { status: response.status, headers: response.headers, error: body.error }
  }
  return { app, call, lines }
}

t.test("a prompt longer than the context is a 400 naming the route's input field", async (t) => {
  const { call } = build()
  for (const [url, param] of [
    ['/v1/completions/too_long', 'prompt'],
    ['/v1/embeddings/too_long', 'input'],
  ] as const) {
    const r = await call('POST', url)
    t.equal(r.status, 400)
    t.same(r.error, {
      message: 'This model has a context of 2048 tokens',
      type: 'invalid_request_error',
      param,
      code: 'context_length_exceeded',
    })
    t.equal(r.headers['x-should-retry'], 'false')
  }
  t.equal((await call('GET', '/v1/other/too_long')).error.param, null, 'a route without inputParam names no field')
})

t.test('engine and store errors map to their statuses through the one hook', async (t) => {
  const { call, lines } = build()
  const busy = await call('GET', '/v1/other/busy')
  t.equal(busy.status, 503)
  t.equal(busy.error.code, 'server_busy')
  t.equal(busy.headers['retry-after'], '1')
  const missing = await call('GET', '/v1/other/missing')
  t.equal(missing.status, 404)
  t.equal(missing.error.message, "No thread found with id 'thread_abc'.")
  const cursor = await call('GET', '/v1/other/cursor')
  t.equal(cursor.status, 400)
  t.equal(cursor.error.param, 'after')
  t.equal(lines.join(''), '', 'nothing mapped is logged as unexpected')
})

t.test('anything else is a logged 500 with no detail', async (t) => {
  const { call, lines } = build()
  const bug = await call('GET', '/v1/other/bug')
  t.equal(bug.status, 500)
  t.equal(bug.error.type, 'server_error')
  t.notMatch(String(bug.error.message), /undefined/)
  t.match(lines.join(''), /ERROR Unhandled error .*Cannot read properties of undefined/)
  t.equal(toApiError(new Error('x'), null), null)
})

t.test(
  'a chat stream that fails after its first chunk ends with a data: event holding the mapped envelope',
  async (t) => {
    const { app } = build()
    const response = await app.handle(createIncomingRequest('GET', '/v1/stream/too_long'))
    if ('body' in response || !('events' in response)) throw new Error('expected an SSE stream')
    const events: SseEvent[] = []
    for await (const event of response.events) events.push(event)
    t.same(events, [
      { data: '{}' },
      {
        data: JSON.stringify({
          error: {
            message: 'This model has a context of 2048 tokens',
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        }),
      },
    ])
  },
)

t.test('toApiError() makes a value the store refused a 400, never a 500', async (t) => {
  const error = toApiError(
    new StoreError(
      'invalid_input',
      'Cannot store a value of the request: invalid byte sequence for encoding "UTF8": 0x00',
    ),
    null,
  )
  t.ok(error instanceof BadRequestError)
  t.match(error, { status: 400, type: 'invalid_request_error', code: 'invalid_value' })
  t.equal((error as BadRequestError).headers['x-should-retry'], 'false')
})
