import t from 'tap'
import { Type } from 'typebox'
import { ApiError } from '../../../src/http/errors.js'
import { Router } from '../../../src/http/router.js'

function routerWith(...paths: [string, string][]): Router {
  const router = new Router()
  for (const [method, path] of paths) {
    if (method === 'GET') router.get(path, {}, () => ({ path }))
    if (method === 'POST') router.post(path, {}, () => ({ path }))
    if (method === 'DELETE') router.delete(path, {}, () => ({ path }))
  }
  return router
}

t.test('Router.match() fills :name parameters, percent-decoded', async (t) => {
  const router = routerWith(['GET', '/v1/threads/:thread_id/runs/:run_id'])
  const match = router.match('GET', '/v1/threads/thread_1/runs/run%20a%2Fb')
  t.equal(match.kind, 'found')
  if (match.kind === 'found') t.same(match.params, { thread_id: 'thread_1', run_id: 'run a/b' })
})

t.test('Router.match() prefers literal segments over parameters', async (t) => {
  const router = routerWith(
    ['POST', '/v1/threads/:thread_id'],
    ['POST', '/v1/threads/runs'],
    ['GET', '/v1/threads/:thread_id'],
  )
  const literal = router.match('POST', '/v1/threads/runs')
  t.equal(literal.kind === 'found' && literal.route.path, '/v1/threads/runs')
  const param = router.match('POST', '/v1/threads/thread_9')
  t.equal(param.kind === 'found' && param.route.path, '/v1/threads/:thread_id')
  const get = router.match('GET', '/v1/threads/runs')
  t.equal(get.kind === 'found' && get.route.path, '/v1/threads/:thread_id', 'GET has only the parameter route')
})

t.test('Router.match() reports an unknown path as not found', async (t) => {
  const router = routerWith(['GET', '/v1/models'], ['GET', '/v1/models/:model'])
  t.same(router.match('GET', '/v1/nothing'), { kind: 'not-found' })
  t.same(router.match('GET', '/v1/models/a/b'), { kind: 'not-found' })
  t.same(router.match('GET', '/v1/models//'), { kind: 'not-found' }, 'an empty parameter does not match')
})

t.test('Router.match() reports a known path with another method as wrong-method with the allowed list', async (t) => {
  const router = routerWith(
    ['GET', '/v1/assistants/:id'],
    ['POST', '/v1/assistants/:id'],
    ['DELETE', '/v1/assistants/:id'],
  )
  t.same(router.match('PUT', '/v1/assistants/asst_1'), { kind: 'wrong-method', allow: ['GET', 'POST', 'DELETE'] })
})

t.test('Router.match() ignores one trailing slash', async (t) => {
  const router = routerWith(['GET', '/v1/models'])
  t.equal(router.match('GET', '/v1/models/').kind, 'found')
})

t.test('Router.match() throws a 400 for broken percent-encoding in a parameter', async (t) => {
  const router = routerWith(['GET', '/v1/models/:model'])
  t.throws(() => router.match('GET', '/v1/models/%E0%A4%A'), { status: 400, message: /not valid percent-encoding/ })
})

t.test('Router refuses duplicate routes and malformed paths at registration', async (t) => {
  const router = routerWith(['GET', '/v1/a/:x'])
  t.throws(() => router.get('/v1/a/:y', {}, () => ({})), /an equivalent route exists/)
  t.throws(() => router.get('v1/b', {}, () => ({})), /does not start with/)
  t.throws(() => router.get('/v1/:a/:a', {}, () => ({})), /bad parameter/)
  router.post('/v1/a/:x', {}, () => ({})) // another method is fine
})

t.test('Route.validate() checks params, then body, then query and types them', async (t) => {
  const router = new Router()
  router.post(
    '/v1/items/:id',
    {
      params: Type.Object({ id: Type.String({ minLength: 3 }) }),
      body: Type.Object({ n: Type.Integer() }),
      query: Type.Object({ limit: Type.Optional(Type.Integer({ default: 20 })) }),
    },
    (c) => ({ id: c.params.id, n: c.body.n, limit: c.query.limit }),
  )
  const route = router.routes()[0]!
  const request = (params: Record<string, string>, body: string, query: string) => ({
    method: 'POST',
    path: '/v1/items/x',
    params,
    query: new URLSearchParams(query),
    rawQuery: query,
    headers: { 'content-type': 'application/json' },
    body: new TextEncoder().encode(body),
    signal: new AbortController().signal,
    requestId: 'r',
  })
  t.same(route.validate(request({ id: 'abc' }, '{"n":1}', 'limit=5')), {
    params: { id: 'abc' },
    body: { n: 1 },
    query: { limit: 5 },
  })
  t.same(route.validate(request({ id: 'abc' }, '{"n":1}', '')).query, { limit: 20 }, 'defaults fill the query')
  const failing = (run: () => unknown): string | null => {
    try {
      run()
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) return error.param
      throw error
    }
    return 'passed'
  }
  t.equal(
    failing(() => route.validate(request({ id: 'a' }, '{"n":"x"}', 'limit=x'))),
    'id',
    'params first',
  )
  t.equal(
    failing(() => route.validate(request({ id: 'abc' }, '{"n":"x"}', 'limit=x'))),
    'n',
    'then body',
  )
  t.equal(
    failing(() => route.validate(request({ id: 'abc' }, '{"n":1}', 'limit=x'))),
    'limit',
    'then query',
  )
  t.equal(
    failing(() => route.validate(request({ id: 'abc' }, '{"n":1', ''))),
    null,
    'malformed JSON has no param',
  )
})

t.test(
  'Router.match() finds a literal route whatever the registration order, and parameter routes beside it',
  async (t) => {
    const router = routerWith(
      ['GET', '/v1/threads/:thread_id/runs/:run_id'],
      ['GET', '/v1/threads/:thread_id/runs'],
      ['POST', '/v1/threads/:thread_id/runs'],
      ['GET', '/v1/threads/:thread_id/runs/:run_id/steps'],
      ['POST', '/v1/threads/runs'],
      ['GET', '/v1/models'],
      ['GET', '/v1/models/:model'],
    )
    const found = (method: string, path: string) => {
      const match = router.match(method, path)
      return match.kind === 'found' ? { path: match.route.path, params: match.params } : match
    }
    t.same(found('GET', '/v1/models'), { path: '/v1/models', params: {} })
    t.same(found('GET', '/v1/models/m1'), { path: '/v1/models/:model', params: { model: 'm1' } })
    t.same(found('POST', '/v1/threads/runs'), { path: '/v1/threads/runs', params: {} })
    t.same(found('GET', '/v1/threads/t1/runs'), { path: '/v1/threads/:thread_id/runs', params: { thread_id: 't1' } })
    t.same(found('POST', '/v1/threads/t1/runs/'), { path: '/v1/threads/:thread_id/runs', params: { thread_id: 't1' } })
    t.same(found('GET', '/v1/threads/t1/runs/r1'), {
      path: '/v1/threads/:thread_id/runs/:run_id',
      params: { thread_id: 't1', run_id: 'r1' },
    })
    t.same(found('GET', '/v1/threads/t1/runs/r1/steps'), {
      path: '/v1/threads/:thread_id/runs/:run_id/steps',
      params: { thread_id: 't1', run_id: 'r1' },
    })
    t.same(found('GET', '/v1/threads/t1/runs/r1/steps/s1'), { kind: 'not-found' }, 'a longer path is no match')
    t.same(found('GET', '/v1/threads/t1/steps'), { kind: 'not-found' }, 'a literal segment must match')
    t.same(found('GET', '/v1/model'), { kind: 'not-found' })
  },
)

t.test('Router.match() lists every method of the literal and parameter routes a path fits as Allow', async (t) => {
  const router = routerWith(
    ['POST', '/v1/threads/runs'],
    ['GET', '/v1/threads/:thread_id'],
    ['DELETE', '/v1/threads/:thread_id'],
    ['GET', '/v1/models'],
  )
  t.same(router.match('PUT', '/v1/threads/runs'), { kind: 'wrong-method', allow: ['POST', 'GET', 'DELETE'] })
  t.same(router.match('POST', '/v1/threads/t1'), { kind: 'wrong-method', allow: ['GET', 'DELETE'] })
  t.same(router.match('POST', '/v1/models'), { kind: 'wrong-method', allow: ['GET'] })
  t.same(router.match('POST', '/v1/models/'), { kind: 'wrong-method', allow: ['GET'] }, 'trailing slash too')
})

t.test('Router.streamsBody() never throws: a path with bad percent-encoding reads its body whole', async (t) => {
  const router = new Router()
  router.post('/v1/files/:file_id', { streamBody: true }, () => ({}))
  t.equal(router.streamsBody('POST', '/v1/files/abc'), true)
  let refused: unknown = null
  try {
    router.match('POST', '/v1/files/%E0%A4%A')
  } catch (error) {
    refused = error
  }
  t.ok(refused instanceof ApiError && refused.status === 400, 'match() refuses the segment')
  t.equal(router.streamsBody('POST', '/v1/files/%E0%A4%A'), false)
  t.equal(router.streamsBody('GET', '/v1/files/abc'), false)
})
