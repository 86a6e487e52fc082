import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import OpenAI from 'openai'
import t from 'tap'
import { maskKey } from '../../src/http/auth.js'
import { createLogger } from '../../src/http/logger.js'
import { chatLine, fileLines, uploadBatchInput } from '../helpers/batches.js'
import { startTestServer, TRANSPORTS } from '../helpers/server.js'

// KEYS[0] is the one the batch runner sends; each test uses its own key, as limits are per key
const KEYS = [
  'sk-test-auth-key-0001',
  'sk-test-auth-key-0002',
  'sk-test-auth-key-0003',
  'sk-test-auth-key-0004',
  'sk-test-auth-key-0005',
]
const WRONG = 'sk-wrong-secret-9999'
// A ten-minute window: one request comes back every 6 s, so none does during the test's burst, while one token
// comes back every 100 ms for the retry test
const WINDOW_MS = 600_000
const RPM = 100
const TPM = 6000

function headerObject(headers: Headers): Record<string, string> {
  const object: Record<string, string> = {}
  headers.forEach((value, name) => {
    object[name] = value
  })
  return object
}

/** A request to a route with every `:param` filled in; POSTs carry an empty JSON object. */
function requestTo(url: string, route: { method: string; path: string }, authorization?: string) {
  const target = route.path.replace(/:[A-Za-z_]+/g, 'x_unknown')
  const headers: Record<string, string> = authorization ? { authorization } : {}
  if (route.method !== 'POST') return fetch(`${url}${target}`, { method: route.method, headers })
  return fetch(`${url}${target}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: '{}',
  })
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: keys from a file on every route, per-key rate limits, JSON logs`, async (t) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-keys-'))
    const keyFile = path.join(dir, 'keys.txt')
    await fs.writeFile(keyFile, `# keys of the test\n\n${KEYS.join('\n')}\n`)
    const lines: string[] = []
    const logger = createLogger({ level: 'info', format: 'json', stream: { write: (s: string) => lines.push(s) } })
    const s = await startTestServer({
      transport,
      args: ['--api-key-file', keyFile, '--rate-limit-rpm', String(RPM), '--rate-limit-tpm', String(TPM)],
      app: { logger, rateLimitWindowMs: WINDOW_MS },
    })
    const client = (key: string, options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
      new OpenAI({ baseURL: `${s.url}/v1`, apiKey: key, maxRetries: 0, timeout: 60_000, ...options })
    t.teardown(async () => {
      await s.close()
      await fs.rm(dir, { recursive: true, force: true })
    })

    t.test('without a key every route answers 401 invalid_api_key; with one, none does', async (t) => {
      const routes = s.app.router.routes()
      t.ok(routes.length > 30, `${routes.length} routes in the table`)
      for (const route of routes) {
        const name = `${route.method} ${route.path}`
        const open = await requestTo(s.url, route)
        if (route.path === '/health') {
          t.equal(open.status, 200, `${name} needs no key`)
          await open.arrayBuffer()
          continue
        }
        t.equal(open.status, 401, `${name} without a key`)
        const body = (await open.json()) as { error: { code: string; type: string } }
        t.same(body.error.code, 'invalid_api_key', `${name}: OpenAI's envelope`)
        const wrong = await requestTo(s.url, route, `Bearer ${WRONG}`)
        t.equal(wrong.status, 401, `${name} with a wrong key`)
        await wrong.arrayBuffer()
        const keyed = await requestTo(s.url, route, `Bearer ${KEYS[1]}`)
        t.not(keyed.status, 401, `${name} with a key answers ${keyed.status}`)
        t.ok(keyed.status < 500, `${name} with a key is no server error`)
        await keyed.arrayBuffer()
      }
    })

    t.test('the (N+1)th request of a key is a 429 with the headers; other keys and batch lines go on', async (t) => {
      const a = client(KEYS[0] as string)
      let last = await a.models.list().withResponse()
      for (let i = 1; i < RPM; i++) last = await a.models.list().withResponse()
      t.match(headerObject(last.response.headers), {
        'x-ratelimit-limit-requests': String(RPM),
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': /^(\d+m)?\d+(\.\d+)?s$/,
        'x-ratelimit-limit-tokens': String(TPM),
        'x-ratelimit-remaining-tokens': String(TPM),
        'x-ratelimit-reset-tokens': '0ms',
      })
      const refused = await fetch(`${s.url}/v1/models`, { headers: { authorization: `Bearer ${KEYS[0]}` } })
      t.equal(refused.status, 429)
      t.match(headerObject(refused.headers), {
        'retry-after': /^\d+$/,
        'retry-after-ms': /^\d+$/,
        'x-ratelimit-limit-requests': String(RPM),
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': /s$/,
        'x-ratelimit-limit-tokens': String(TPM),
        'x-ratelimit-remaining-tokens': String(TPM),
        'x-ratelimit-reset-tokens': '0ms',
      })
      t.match(await refused.json(), {
        error: { type: 'requests', code: 'rate_limit_exceeded', message: /^Rate limit reached for requests per min/ },
      })
      const sdk = await a.models.list().catch((error: unknown) => error)
      t.ok(sdk instanceof OpenAI.RateLimitError, 'the SDK raises RateLimitError')
      const other = await client(KEYS[3] as string)
        .models.list()
        .withResponse()
      t.equal(
        other.response.headers.get('x-ratelimit-remaining-requests'),
        String(RPM - 1),
        'another key is unaffected',
      )

      // the batch runner sends KEYS[0], now over its limit: its in-process lines still authenticate and are not limited
      const d = client(KEYS[3] as string)
      const input = await uploadBatchInput(d, [chatLine('one', { max_tokens: 1 }), chatLine('two', { max_tokens: 1 })])
      const created = await d.batches
        .create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
        .withResponse()
      const batch = created.data
      const next = await d.batches.retrieve(batch.id).withResponse()
      const remaining = (r: Response) => Number(r.headers.get('x-ratelimit-remaining-tokens'))
      // a token comes back every 100 ms: 20 spare tokens allow a 2 s stall between the two requests
      t.ok(
        remaining(next.response) <= remaining(created.response) - Math.ceil(input.bytes / 4) + 20,
        "the batch's input was counted against the key when the batch was created",
      )
      await s.app.deps.batches?.settled(batch.id)
      const done = await d.batches.retrieve(batch.id)
      t.match(done, { status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } })
      const output = await fileLines(d, done.output_file_id as string)
      t.same(
        output.map((line) => line.response.status_code),
        [200, 200],
      )
    })

    t.test("the SDK's retry waits as Retry-After says, then succeeds", async (t) => {
      const key = `Bearer ${KEYS[2]}`
      // spend most of the key's tokens (the body at 4 bytes a token), then ask for 20 more than are left
      const first = await fetch(`${s.url}/tokenize`, {
        method: 'POST',
        headers: { authorization: key, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'abc '.repeat(5500) }),
      })
      t.equal(first.status, 200)
      await first.arrayBuffer()
      const left = Number(first.headers.get('x-ratelimit-remaining-tokens'))
      t.ok(left > 0 && left < TPM - 5000, `${left} tokens left`)
      const statuses: Array<{ status: number; wait: string | null }> = []
      const retrying = new OpenAI({
        baseURL: s.url,
        apiKey: KEYS[2] as string,
        // one retry: taken after the SDK's own backoff (under a second) instead of Retry-After, it would be refused
        maxRetries: 1,
        timeout: 60_000,
        fetch: async (url, init) => {
          const response = await fetch(url, init)
          statuses.push({ status: response.status, wait: response.headers.get('retry-after-ms') })
          return response
        },
      })
      const content = 'b'.repeat((left + 20) * 4 - '{"content":""}'.length)
      const reply = await retrying.post<{ tokens: number[] }>('/tokenize', { body: { content } })
      t.ok(Array.isArray(reply.tokens), 'tokenized after the retry')
      t.same(
        statuses.map((entry) => entry.status),
        [429, 200],
      )
      t.ok(Number(statuses[0]?.wait) >= 1000, `the 429 asked for ${statuses[0]?.wait} ms`)
    })

    t.test('a streamed response replaces its admission estimate with its usage', async (t) => {
      const sdk = client(KEYS[4] as string)
      // metadata weighs ~2,100 tokens in the byte estimate but none in the prompt
      const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'm'.repeat(512)]))
      const stream = await sdk.responses.create({
        model: 'stories260K',
        input: 'Once upon a time',
        max_output_tokens: 8,
        stream: true,
        metadata,
      })
      let total = 0
      for await (const event of stream)
        if (event.type === 'response.completed' || event.type === 'response.incomplete')
          total = event.response.usage?.total_tokens ?? 0
      t.ok(total > 0 && total < 200, `the response used ${total} tokens`)
      const after = await sdk.models.list().withResponse()
      const left = Number(after.response.headers.get('x-ratelimit-remaining-tokens'))
      // unsettled, ~2,100 would be gone; refill only adds to what is left
      t.ok(left >= TPM - total - 10, `${left} tokens left after a ${total}-token response`)
    })

    t.test('the JSON logs parse line by line, carry the request fields and never a whole key', async (t) => {
      const text = lines.join('')
      for (const key of [...KEYS, WRONG]) t.notOk(text.includes(key), `${maskKey(key)} never appears unmasked`)
      const parsed = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
      const requests = parsed.filter((line) => line.msg === 'request completed')
      t.ok(requests.length > 60, `${requests.length} request lines`)
      for (const line of parsed) t.match(line, { level: Number, time: Number, pid: process.pid, hostname: String })
      t.match(
        requests.find((line) => line.route === '/v1/threads/:thread_id' && line.key !== undefined),
        {
          level: 30,
          req_id: /^req_/,
          method: String,
          status: Number,
          duration_ms: Number,
          key: maskKey(KEYS[1] as string),
        },
        'the route pattern, not the path, and the key masked',
      )
      t.notOk(
        requests.some((line) => 'key' in line && line.status === 401),
        'a refused key is not logged as the caller',
      )
    })
  })
}
