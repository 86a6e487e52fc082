import t, { type Test } from 'tap'
import OpenAI from 'openai'
import { startTestServer, TRANSPORTS, type TestServer } from '../helpers/server.js'
import { postJson } from '../helpers/sse.js'

const MODEL = 'stories260K'
const HI = [{ role: 'user', content: 'Hi' }]

type Envelope = { error: { message: string; type: string; param: string | null; code: string | null } }

/** Checks a reply is OpenAI's error envelope with this status (and x-request-id), and returns the error. */
async function expectError(t: Test, res: Response, status: number): Promise<Envelope['error']> {
  t.equal(res.status, status, `status ${status}`)
  t.match(res.headers.get('content-type') ?? '', /application\/json/)
  t.match(res.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/, 'x-request-id')
  const body = (await res.json()) as Envelope
  t.same(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type'], 'all four envelope keys')
  t.type(body.error.message, 'string')
  return body.error
}

/** The rejection of a promise, or a failed assertion when it resolves. */
async function rejection(t: Test, promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  t.fail('the call should have failed')
  return null
}

function chatUrl(s: TestServer): string {
  return `${s.url}/v1/chat/completions`
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: request errors in OpenAI's envelope`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())

    t.test('a wrongly typed field is a 400 naming the field', async (t) => {
      const error = await expectError(
        t,
        await postJson(chatUrl(s), { model: MODEL, messages: HI, temperature: 'hot' }),
        400,
      )
      t.equal(error.type, 'invalid_request_error')
      t.equal(error.param, 'temperature')
      const sdk = await rejection(
        t,
        s.client.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
          temperature: 'hot' as unknown as number,
        }),
      )
      t.ok(sdk instanceof OpenAI.BadRequestError, 'SDK BadRequestError')
      t.equal((sdk as InstanceType<typeof OpenAI.BadRequestError>).param, 'temperature')
      t.equal((sdk as InstanceType<typeof OpenAI.BadRequestError>).type, 'invalid_request_error')
    })

    t.test('a bad message role is a 400 naming that message', async (t) => {
      const error = await expectError(
        t,
        await postJson(chatUrl(s), { model: MODEL, messages: [{ role: 'robot', content: 'Hi' }] }),
        400,
      )
      t.equal(error.type, 'invalid_request_error')
      t.match(error.param ?? '', /^messages\[0\]/)
      const missing = await expectError(t, await postJson(chatUrl(s), { model: MODEL }), 400)
      t.equal(missing.param, 'messages')
    })

    t.test('invalid JSON, an empty body and a wrong content type are 400s', async (t) => {
      const bad = await expectError(
        t,
        await fetch(chatUrl(s), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"model": "stories260K",',
        }),
        400,
      )
      t.match(bad.message, /could not parse the JSON body/)
      const empty = await expectError(
        t,
        await fetch(chatUrl(s), { method: 'POST', headers: { 'content-type': 'application/json' } }),
        400,
      )
      t.match(empty.message, /could not parse the JSON body/)
      const res = await fetch(chatUrl(s), {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ model: MODEL, messages: HI }),
      })
      t.ok(res.status === 400 || res.status === 415, `400 or 415, got ${res.status}`)
      const wrongType = await expectError(t, res, res.status)
      t.match(wrongType.message, /content type/i)
    })

    t.test('an unknown model is a 404 model_not_found (SDK NotFoundError)', async (t) => {
      const error = await expectError(t, await postJson(chatUrl(s), { model: 'gpt-9', messages: HI }), 404)
      t.equal(error.code, 'model_not_found')
      t.equal(error.param, 'model')
      const sdk = await rejection(t, s.client.completions.create({ model: 'gpt-9', prompt: 'Hi', max_tokens: 2 }))
      t.ok(sdk instanceof OpenAI.NotFoundError, 'SDK NotFoundError')
      t.equal((sdk as InstanceType<typeof OpenAI.NotFoundError>).code, 'model_not_found')
      const retrieve = await rejection(t, s.client.models.retrieve('gpt-9'))
      t.ok(retrieve instanceof OpenAI.NotFoundError, 'GET /v1/models/gpt-9 too')
    })

    t.test('an image content part is a 400 naming the part', async (t) => {
      const messages = [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ]
      const error = await expectError(t, await postJson(chatUrl(s), { model: MODEL, messages, max_tokens: 4 }), 400)
      t.equal(error.param, 'messages[0].content[1]')
      t.match(error.message, /image/)
      const sdk = await rejection(
        t,
        s.client.chat.completions.create({
          model: MODEL,
          messages: messages as OpenAI.ChatCompletionMessageParam[],
          max_tokens: 4,
        }),
      )
      t.ok(sdk instanceof OpenAI.BadRequestError)
    })

    t.test('a prompt longer than the context is a 400 context_length_exceeded, streamed or not', async (t) => {
      const long = 'the cat sat. '.repeat(800) // about 4800 tokens; the test server's context is 2048
      for (const stream of [false, true]) {
        const chat = await expectError(
          t,
          await postJson(chatUrl(s), {
            model: MODEL,
            messages: [{ role: 'user', content: long }],
            max_tokens: 4,
            stream,
          }),
          400,
        )
        t.equal(chat.code, 'context_length_exceeded', `chat, stream: ${stream}`)
        t.equal(chat.param, 'messages')
        const completion = await expectError(
          t,
          await postJson(`${s.url}/v1/completions`, { model: MODEL, prompt: long, max_tokens: 4, stream }),
          400,
        )
        t.equal(completion.code, 'context_length_exceeded', `completion, stream: ${stream}`)
        t.equal(completion.param, 'prompt')
      }
      const sdk = await rejection(
        t,
        s.client.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: long }],
          max_tokens: 4,
          stream: true,
        }),
      )
      t.ok(sdk instanceof OpenAI.BadRequestError, "the SDK's stream call rejects with BadRequestError")
    })

    t.test('an unknown route is a 404 and a wrong method a 405, both in the envelope', async (t) => {
      const missing = await expectError(t, await fetch(`${s.url}/v1/nothing-here`), 404)
      t.equal(missing.type, 'invalid_request_error')
      const wrong = await fetch(chatUrl(s))
      await expectError(t, wrong, 405)
      t.match(wrong.headers.get('allow') ?? '', /POST/)
    })

    t.test("every reply carries x-request-id, the client's own when it sends a sane one", async (t) => {
      for (const res of [
        await fetch(`${s.url}/health`),
        await fetch(`${s.url}/v1/models`),
        await postJson(chatUrl(s), { model: MODEL, messages: HI, max_tokens: 2 }),
      ]) {
        t.equal(res.status, 200)
        t.match(res.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/)
        await res.arrayBuffer()
      }
      const stream = await postJson(
        chatUrl(s),
        { model: MODEL, messages: HI, max_tokens: 2, stream: true },
        { 'x-request-id': 'trace-42' },
      )
      t.equal(stream.headers.get('x-request-id'), 'trace-42', "streams too, and the client's id is kept")
      await stream.text()
      const sdk = await s.client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 })
        .withResponse()
      t.match(sdk.response.headers.get('x-request-id') ?? '', /^req_/)
      t.equal(sdk.request_id, sdk.response.headers.get('x-request-id'), 'the SDK exposes it as request_id')
    })
  })

  t.test(`${transport}: API key and body size limit`, async (t) => {
    const s = await startTestServer({ transport, args: ['--api-key', 'k1', '--max-body', '2kb'] })
    t.teardown(() => s.close())

    t.test('without a key /v1 is a 401; a wrong key is a 401; the right key works; /health stays open', async (t) => {
      const none = await expectError(t, await fetch(`${s.url}/v1/models`), 401)
      t.equal(none.code, 'invalid_api_key')
      const wrong = await expectError(
        t,
        await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer nope' } }),
        401,
      )
      t.equal(wrong.code, 'invalid_api_key')
      const sdk = await rejection(
        t,
        new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'nope', maxRetries: 0 }).models.list(),
      )
      t.ok(sdk instanceof OpenAI.AuthenticationError, 'SDK AuthenticationError')
      const right = await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer k1' } })
      t.equal(right.status, 200)
      await right.arrayBuffer()
      const res = await s.client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 2,
      })
      t.equal(res.object, 'chat.completion', 'the SDK with the key')
      const health = await fetch(`${s.url}/health`)
      t.equal(health.status, 200)
      await health.arrayBuffer()
    })

    t.test('a body over --max-body is a 413, declared or streamed', async (t) => {
      const big = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(3000) }] })
      const declared = await expectError(
        t,
        await postJson(chatUrl(s), JSON.parse(big), { authorization: 'Bearer k1' }),
        413,
      )
      t.equal(declared.code, 'request_too_large')
      const bytes = new TextEncoder().encode(big)
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 500) controller.enqueue(bytes.slice(i, i + 500))
          controller.close()
        },
      })
      // chunked transfer encoding: no content-length, so the server has to count
      const init = {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k1' },
        body,
        duplex: 'half',
      }
      await expectError(t, await fetch(chatUrl(s), init as RequestInit), 413)
      const sdk = await rejection(
        t,
        s.client.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'x'.repeat(3000) }],
          max_tokens: 2,
        }),
      )
      t.ok(sdk instanceof OpenAI.APIError && sdk.status === 413, 'the SDK sees the 413')
      // 1.5 kB in the ignored `user` field keeps the prompt (and the test) short
      const small = await s.client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 2,
        user: 'u'.repeat(1500),
      })
      t.equal(small.object, 'chat.completion', 'a body under the limit still works')
    })
  })

  t.test(`${transport}: a full server answers 503 with Retry-After`, async (t) => {
    const s = await startTestServer({ transport, args: ['--parallel', '1', '--queue-size', '0'] })
    t.teardown(() => s.close())
    const controller = new AbortController()
    const long = await s.client.chat.completions.create(
      {
        model: MODEL,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 1500,
        ignore_eos: true,
        stream: true,
      } as OpenAI.ChatCompletionCreateParamsStreaming,
      { signal: controller.signal },
    )
    const iterator = long[Symbol.asyncIterator]()
    await iterator.next() // the slot is taken once the first chunk arrives
    const res = await postJson(chatUrl(s), { model: MODEL, messages: HI, max_tokens: 2 })
    const error = await expectError(t, res, 503)
    t.equal(error.type, 'server_error')
    t.equal(error.code, 'server_busy')
    t.ok(Number(res.headers.get('retry-after')) >= 1, `retry-after: ${res.headers.get('retry-after')}`)
    const sdk = await rejection(
      t,
      s.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 }),
    )
    t.ok(sdk instanceof OpenAI.InternalServerError && sdk.status === 503, 'SDK InternalServerError with status 503')
    controller.abort()
    await iterator.return?.()
    const deadline = Date.now() + 3000
    while (s.app.deps.model.engine?.stats.active !== 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20))
    const after = await s.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 2,
    })
    t.equal(after.object, 'chat.completion', 'served again once the stream is gone')
  })
}
