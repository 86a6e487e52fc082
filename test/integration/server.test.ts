import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import OpenAI from 'openai'
import t, { type Test } from 'tap'
import { createServer, type OxillamaServer, type ServerOptions } from '../../src/server.js'
import { modelPath } from '../helpers/paths.js'

// createServer() in-process: the openai SDK talks to ox.fetch through its `fetch` option, no socket in between
const MODEL = 'stories260K'

async function start(t: Test, options: ServerOptions = {}): Promise<OxillamaServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oxillama-lib-'))
  const ox = await createServer({
    model: modelPath('stories260K.gguf'),
    chatTemplate: 'chatml',
    threads: 1,
    dataDir,
    logLevel: 'warn',
    ...options,
  })
  t.teardown(async () => {
    await ox.close({ graceMs: 0 })
    fs.rmSync(dataDir, { recursive: true, force: true })
  })
  return ox
}

/** An SDK client whose requests go to `handler` (a fetch handler) under `base`. */
function clientOf(handler: (request: Request) => Promise<Response>, base = 'http://ox.local/v1'): OpenAI {
  return new OpenAI({
    baseURL: base,
    apiKey: 'unused',
    maxRetries: 0,
    fetch: (url, init) => handler(new Request(url, init)),
  })
}

t.test('createServer() answers 503 while the model loads, then serves through fetch', async (t) => {
  const ox = await start(t)
  const health = await ox.fetch(new Request('http://ox.local/health'))
  t.equal(health.status, 503, '/health is 503 while loading')
  t.same(await health.json(), { status: 'loading' })
  const early = await ox.fetch(
    new Request('http://ox.local/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }),
    }),
  )
  t.equal(early.status, 503, 'a chat before ready is 503, as on the CLI')
  t.match(await early.json(), { error: { code: 'model_loading', type: 'server_error' } })
  await ox.ready
  t.equal((await ox.fetch(new Request('http://ox.local/health'))).status, 200, '/health is 200 once ready')
  const client = clientOf(ox.fetch)
  const completion = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Hello' }],
    max_tokens: 6,
  })
  t.equal(completion.usage?.completion_tokens, 6)
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Hello' }],
    max_tokens: 6,
    stream: true,
  })
  const finishes: (string | null)[] = []
  for await (const chunk of stream) finishes.push(chunk.choices[0]?.finish_reason ?? null)
  t.equal(finishes.at(-1), 'length', 'a chat stream ends on max_tokens')
})

t.test('mounted under a prefix in a fetch app, as a framework mounts a fetch handler', async (t) => {
  const ox = await start(t)
  await ox.ready
  // what Hono's app.mount('/ai', ox.fetch) does: strip the prefix, pass the rest of the request on
  const app = async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    if (!url.pathname.startsWith('/ai/')) return new Response('the app itself')
    url.pathname = url.pathname.slice('/ai'.length)
    return ox.fetch(new Request(url, request))
  }
  const client = clientOf(app, 'http://app.local/ai/v1')
  const models = await client.models.list()
  t.same(
    models.data.map((m) => m.id),
    [MODEL],
  )
  const embeddings = await client.embeddings.create({ model: MODEL, input: 'hello' })
  t.equal(embeddings.data.length, 1)
  const bad = await client.chat.completions
    .create({ model: MODEL, messages: [{ role: 'nobody', content: 'x' }] } as never)
    .then(
      () => null,
      (error: unknown) => error,
    )
  t.ok(bad instanceof OpenAI.BadRequestError, 'an invalid body is a 400 envelope')
  t.equal(await (await app(new Request('http://app.local/'))).text(), 'the app itself')
})

t.test('a client that leaves a stream frees its engine slot: the next request is served', async (t) => {
  // one slot and no queue: a request that finds the slot busy is refused with 503 at once
  const ox = await start(t, { parallel: 1, queueSize: 0 })
  await ox.ready
  const client = clientOf(ox.fetch)
  const long = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Once upon a time' }],
    max_tokens: 1500,
    stream: true,
    ignore_eos: true,
  } as OpenAI.ChatCompletionCreateParamsStreaming)
  let chunks = 0
  for await (const chunk of long) {
    if (chunk.choices.length > 0) chunks++
    if (chunks === 3) break // leaving the loop aborts the request
  }
  t.equal(chunks, 3)
  // the engine stops the aborted request within a decode step; until then the slot may still be busy
  let served: OpenAI.ChatCompletion | null = null
  let refused = 0
  for (let i = 0; i < 200 && served === null; i++) {
    served = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })
      .catch((error: unknown) => {
        if (!(error instanceof OpenAI.APIError) || error.status !== 503) throw error
        refused++
        return new Promise<null>((resolve) => setTimeout(() => resolve(null), 25))
      })
  }
  t.ok(served, `the next request was served (after ${refused} refusals while the slot was freed)`)
  t.equal(served?.usage?.completion_tokens, 2)
})

t.test('close() cuts streams in flight, answers later requests 503 and closes engine and store', async (t) => {
  const ox = await start(t)
  await ox.ready
  const client = clientOf(ox.fetch)
  const long = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Once upon a time' }],
    max_tokens: 1500,
    stream: true,
    ignore_eos: true,
  } as OpenAI.ChatCompletionCreateParamsStreaming)
  const chunks = long[Symbol.asyncIterator]()
  t.equal((await chunks.next()).done, false, 'the stream started')
  const closing = ox.close({ graceMs: 0 })
  const later = await ox.fetch(new Request('http://ox.local/v1/models'))
  t.equal(later.status, 503, 'a request after close() is 503')
  t.match(await later.json(), { error: { message: 'The server is stopping' } })
  const rest = (async () => {
    for (let next = await chunks.next(); !next.done; next = await chunks.next());
  })()
  await t.rejects(rest, 'the stream in flight ends cut short, not complete')
  await closing
  t.equal(await ox.close(), undefined, 'a second close() resolves too')
})

t.test('createServer() rejects bad options before opening anything, naming the option', async (t) => {
  await t.rejects(createServer({ model: modelPath('stories260K.gguf'), parallel: 0 }), {
    name: 'ConfigError',
    message: /^parallel: must be a whole number from 1 to 256/,
  })
  await t.rejects(createServer({ model: 'm.gguf', ctxSiz: 512 } as ServerOptions), {
    message: /^Unknown option 'ctxSiz' \(did you mean ctxSize\?\)/,
  })
  await t.rejects(createServer({}), { message: /^No model given/ })
})
