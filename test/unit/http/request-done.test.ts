import t from 'tap'
import { Type } from 'typebox'
import { createHttpApp, type RequestDone } from '../../../src/http/http-app.js'
import { createLogger } from '../../../src/http/logger.js'
import { sse } from '../../../src/http/reply.js'
import { createIncomingRequest } from '../../../src/http/request.js'
import { Router } from '../../../src/http/router.js'

function build() {
  const done: RequestDone[] = []
  const router = new Router()
  router.get('/v1/items/:id', { params: Type.Object({ id: Type.String({ maxLength: 4 }) }) }, (c) => ({
    id: c.params.id,
  }))
  router.get('/v1/stream', {}, () =>
    sse(
      (async function* () {
        yield { data: 'one' }
      })(),
    ),
  )
  const app = createHttpApp({
    router,
    maxBodyBytes: 1024,
    logger: createLogger({ level: 'silent', stream: process.stderr }),
    onRequestDone: (info) => done.push(info),
  })
  return { app, done }
}

t.test('onRequestDone gets the route pattern, the status and the duration of every request', async (t) => {
  const { app, done } = build()
  await app.handle(createIncomingRequest('GET', '/v1/items/ab', { headers: { 'x-request-id': 'r1' } }))
  await app.handle(createIncomingRequest('GET', '/v1/items/too-long'))
  await app.handle(createIncomingRequest('GET', '/v1/nothing/here'))
  await app.handle(createIncomingRequest('POST', '/v1/items/ab'))
  t.same(
    done.map(({ method, route, status }) => ({ method, route, status })),
    [
      { method: 'GET', route: '/v1/items/:id', status: 200 },
      { method: 'GET', route: '/v1/items/:id', status: 400 },
      { method: 'GET', route: null, status: 404 },
      { method: 'POST', route: null, status: 405 },
    ],
  )
  t.equal(done[0]?.requestId, 'r1')
  t.equal(done[0]?.bytes, '{"id":"ab"}'.length)
  t.ok(done.every((d) => d.durationMs >= 0))
})

t.test('onRequestDone reports a stream once its last byte is written, not when its head is', async (t) => {
  const { app, done } = build()
  const response = await app.handle(createIncomingRequest('GET', '/v1/stream'))
  t.equal(done.length, 0, 'not done while the stream is open')
  if (!('pipe' in response)) throw new Error('expected a stream')
  await response.pipe({
    aborted: false,
    write: () => true,
    drained: async () => {},
    end: () => {},
    destroy: () => {},
  })
  t.same(
    done.map(({ route, status, bytes }) => ({ route, status, bytes })),
    [{ route: '/v1/stream', status: 200, bytes: 'data: one\n\n'.length }],
  )
})
