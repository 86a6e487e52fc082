import t from 'tap'
import { createIncomingRequest, LazySignal, pathOf } from '../../../src/http/request.js'

t.test('LazySignal makes no signal until read and knows about an abort without one', async (t) => {
  const lazy = new LazySignal()
  t.notOk(lazy.aborted)
  lazy.abort()
  lazy.abort() // twice is harmless
  t.ok(lazy.aborted)
  t.ok(lazy.signal.aborted, 'a signal read after the client left is already aborted')
})

t.test('LazySignal aborts a signal that was read before the client left, once', async (t) => {
  const lazy = new LazySignal()
  const signal = lazy.signal
  t.equal(lazy.signal, signal, 'the same signal on every read')
  let aborts = 0
  signal.addEventListener('abort', () => aborts++)
  t.notOk(signal.aborted)
  lazy.abort()
  lazy.abort()
  t.ok(signal.aborted)
  t.equal(aborts, 1)
})

t.test('createIncomingRequest() reports aborted from its signal', async (t) => {
  const controller = new AbortController()
  const request = createIncomingRequest('get', '/v1/models?limit=1', { signal: controller.signal })
  t.equal(request.method, 'GET')
  t.notOk(request.aborted)
  controller.abort()
  t.ok(request.aborted)
})

t.test('pathOf() drops the query', async (t) => {
  t.equal(pathOf('/v1/models?x=1&y=2'), '/v1/models')
  t.equal(pathOf('/v1/models'), '/v1/models')
  t.equal(pathOf('/?'), '/')
})
