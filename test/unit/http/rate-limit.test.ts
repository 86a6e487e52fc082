import t from 'tap'
import { Type } from 'typebox'
import { RateLimitError } from '../../../src/http/errors.js'
import { createHttpApp } from '../../../src/http/http-app.js'
import { createLogger } from '../../../src/http/logger.js'
import { formatReset, RateLimiter } from '../../../src/http/rate-limit.js'
import { createIncomingRequest, type CreateRequestOptions } from '../../../src/http/request.js'
import { sse } from '../../../src/http/reply.js'
import { Router } from '../../../src/http/router.js'

function clock(start = 1_000_000) {
  const time = { now: start }
  return { time, now: () => time.now }
}

function refusal(fn: () => unknown): RateLimitError {
  try {
    fn()
  } catch (error) {
    if (error instanceof RateLimitError) return error
    throw error
  }
  throw new Error('expected a 429')
}

t.test('formatReset() writes durations as OpenAI does (Go duration text)', async (t) => {
  t.equal(formatReset(0), '0ms')
  t.equal(formatReset(20), '20ms')
  t.equal(formatReset(999.2), '1s')
  t.equal(formatReset(1000), '1s')
  t.equal(formatReset(8640), '8.64s')
  t.equal(formatReset(60_000), '1m0s')
  t.equal(formatReset(360_000), '6m0s')
  t.equal(formatReset(179_560), '2m59.56s')
  t.equal(formatReset(3_723_000), '1h2m3s')
  t.equal(formatReset(-5), '0ms')
})

t.test('RateLimiter: the (N+1)th request in a window is refused with Retry-After and the headers', async (t) => {
  const { time, now } = clock()
  const limiter = new RateLimiter({ requests: 3, tokens: 0, now })
  const remaining = [1, 2, 3].map(() => limiter.admit('a', 0).headers['x-ratelimit-remaining-requests'])
  t.same(remaining, ['2', '1', '0'])
  const error = refusal(() => limiter.admit('a', 0))
  t.equal(error.status, 429)
  t.same(error.toEnvelope().error, {
    message: 'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
    type: 'requests',
    param: null,
    code: 'rate_limit_exceeded',
  })
  t.match(error.headers, {
    'retry-after': '20',
    'retry-after-ms': '20000',
    'x-ratelimit-limit-requests': '3',
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-reset-requests': '1m0s',
  })
  t.notOk('x-ratelimit-limit-tokens' in error.headers, 'no token headers without a token limit')
  t.equal(limiter.admit('b', 0).headers['x-ratelimit-remaining-requests'], '2', 'another caller is unaffected')
  time.now += 20_000
  t.equal(limiter.admit('a', 0).headers['x-ratelimit-remaining-requests'], '0', 'one request back after 20 s')
  refusal(() => limiter.admit('a', 0))
  time.now += 60_000
  t.equal(limiter.admit('a', 0).headers['x-ratelimit-remaining-requests'], '2', 'full again after a window')
})

t.test('RateLimiter: tokens are charged, refused with type tokens, and settled to actual usage', async (t) => {
  const { time, now } = clock()
  const limiter = new RateLimiter({ requests: 100, tokens: 1000, now })
  const first = limiter.admit('a', 900)
  t.match(first.headers, {
    'x-ratelimit-limit-tokens': '1000',
    'x-ratelimit-remaining-tokens': '100',
    'x-ratelimit-reset-tokens': '54s',
  })
  const error = refusal(() => limiter.admit('a', 300))
  t.equal(error.type, 'tokens')
  t.equal(error.headers['retry-after-ms'], '12000', '200 tokens short at 1000 a minute')
  t.equal(limiter.admit('a', 0).headers['x-ratelimit-remaining-tokens'], '100', 'a refused request charged nothing')
  limiter.settle(first, 100) // the reply used 100, not 900
  t.equal(limiter.admit('a', 300).headers['x-ratelimit-remaining-tokens'], '600')
  const big = refusal(() => limiter.admit('b', 1001))
  t.equal(big.headers['x-should-retry'], 'false', 'larger than a whole window: never retried')
  t.match(big.message, /Request too large: tokens per min \(TPM\): Limit 1000, Requested 1001/)
  time.now += 60_000
  t.equal(limiter.admit('a', 0).headers['x-ratelimit-remaining-tokens'], '1000')
})

t.test('RateLimiter forgets callers whose buckets are full again, and keeps at most maxCallers', async (t) => {
  const { time, now } = clock()
  const limiter = new RateLimiter({ requests: 10, tokens: 0, now, maxCallers: 3 })
  for (const caller of ['a', 'b', 'c', 'd', 'e']) limiter.admit(caller, 0)
  t.equal(limiter.size, 3, 'the least recently seen are dropped past the cap')
  time.now += 60_000
  limiter.admit('f', 0)
  t.equal(limiter.size, 1, 'idle callers are forgotten as others arrive')
})

function limitedApp(options: { keys?: string[] }) {
  const router = new Router()
  router.get('/health', { public: true }, () => ({ ok: true }))
  router.post(
    '/v1/chat',
    { body: Type.Object({ max_tokens: Type.Optional(Type.Integer()) }), inputParam: 'messages' },
    () => ({ usage: { total_tokens: 10 } }),
  )
  // a batch or a run reports the usage of work done elsewhere: not this request's
  router.get('/v1/batch', {}, () => ({ usage: { total_tokens: 500 } }))
  router.post('/v1/stream', { body: Type.Object({ max_tokens: Type.Integer() }) }, (c) =>
    sse(
      (async function* () {
        yield { data: 'x' }
        c.usedTokens(7) // as chunkEvents() reports the usage chunk
      })(),
    ),
  )
  const app = createHttpApp({
    router,
    maxBodyBytes: 1 << 20,
    logger: createLogger({ level: 'silent', stream: { write: () => {} } }),
    rateLimit: { requests: 2, tokens: 1000, now: () => 1_000_000 },
    ...(options.keys ? { apiKeys: options.keys } : {}),
  })
  return (method: string, url: string, request: CreateRequestOptions & { address?: string } = {}) => {
    const incoming = createIncomingRequest(method, url, request)
    return app.handle(request.address ? { ...incoming, remoteAddress: request.address } : incoming)
  }
}

t.test(
  'the app limits each key, sends the headers on every reply, and leaves /health and batch lines alone',
  async (t) => {
    const call = limitedApp({ keys: ['sk-aaaa-aaaa-1', 'sk-bbbb-bbbb-2', 'sk-cccc-cccc-3'] })
    const a = { authorization: 'Bearer sk-aaaa-aaaa-1' }
    const first = await call('POST', '/v1/chat', { headers: a, json: { max_tokens: 500 } })
    t.equal(first.status, 200)
    t.match(first.headers, { 'x-ratelimit-remaining-requests': '1', 'x-ratelimit-remaining-tokens': '495' })
    const second = await call('POST', '/v1/chat', { headers: a, json: {} })
    t.equal(second.headers['x-ratelimit-remaining-tokens'], '989', 'the first was settled at its usage of 10')
    const batch = await call('GET', '/v1/batch', { headers: { authorization: 'Bearer sk-cccc-cccc-3' } })
    t.equal(batch.headers['x-ratelimit-remaining-tokens'], '1000')
    const after = await call('GET', '/v1/batch', { headers: { authorization: 'Bearer sk-cccc-cccc-3' } })
    t.equal(after.headers['x-ratelimit-remaining-tokens'], '1000', "another request's usage is not charged")
    const third = await call('POST', '/v1/chat', { headers: a, json: {} })
    t.equal(third.status, 429)
    t.match(third.headers, { 'retry-after': '30', 'x-ratelimit-remaining-requests': '0' })
    t.equal(
      (await call('POST', '/v1/chat', { headers: { authorization: 'Bearer sk-bbbb-bbbb-2' }, json: {} })).status,
      200,
    )
    t.equal((await call('GET', '/health')).status, 200)
    const line = await call('POST', '/v1/chat', { headers: a, json: {}, lane: 'batch' })
    t.equal(line.status, 200, 'an in-process batch line is not limited')
    t.notOk('x-ratelimit-limit-requests' in line.headers)
  },
)

t.test("a streamed reply's reported usage replaces its estimate", async (t) => {
  const call = limitedApp({})
  const streamed = await call('POST', '/v1/stream', { json: { max_tokens: 800 }, address: '10.0.0.3' })
  t.equal(streamed.headers['x-ratelimit-remaining-tokens'], '195', 'charged 5 + 800 at admission')
  if ('events' in streamed) for await (const _ of streamed.events);
  const next = await call('POST', '/v1/chat', { json: {}, address: '10.0.0.3' })
  t.equal(next.headers['x-ratelimit-remaining-tokens'], '992', 'the stream cost 7 in the end')
})

t.test('without keys the app limits each client address', async (t) => {
  const call = limitedApp({})
  for (let i = 0; i < 2; i++) t.equal((await call('POST', '/v1/chat', { json: {}, address: '10.0.0.1' })).status, 200)
  t.equal((await call('POST', '/v1/chat', { json: {}, address: '10.0.0.1' })).status, 429)
  t.equal((await call('POST', '/v1/chat', { json: {}, address: '10.0.0.2' })).status, 200)
})
