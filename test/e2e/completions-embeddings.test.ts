import t from 'tap'
import type OpenAI from 'openai'
import { startTestServer, TRANSPORTS } from '../helpers/server.js'
import { postJson, readSseData } from '../helpers/sse.js'

const MODEL = 'stories260K'
const PROMPT = 'Once upon a time'
// stories260K's greedy continuation of PROMPT
const REFERENCE =
  ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.'

function norm(v: number[]): number {
  return Math.hypot(...v)
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: completions, embeddings, models and llama-server routes`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    const c = s.client
    const tokenize = async (content: string): Promise<number[]> =>
      ((await (await postJson(`${s.url}/tokenize`, { content })).json()) as { tokens: number[] }).tokens

    t.test('POST /v1/completions continues a string prompt greedily', async (t) => {
      const res = await c.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 40, temperature: 0 })
      t.equal(res.object, 'text_completion')
      t.match(res.id, /^cmpl-/)
      t.equal(res.choices.length, 1)
      t.equal(res.choices[0]?.index, 0)
      t.ok(
        REFERENCE.startsWith(res.choices[0]?.text ?? 'x') && (res.choices[0]?.text.length ?? 0) > 40,
        `the reference text: ${JSON.stringify(res.choices[0]?.text)}`,
      )
      t.equal(res.choices[0]?.finish_reason, 'length')
      t.equal(res.choices[0]?.logprobs, null)
      t.equal(res.usage?.completion_tokens, 40)
      t.equal(res.usage?.prompt_tokens, (await tokenize(PROMPT)).length + 1, 'the prompt and BOS')
      const short = await c.completions.create({ model: MODEL, prompt: PROMPT, temperature: 0 })
      t.equal(short.usage?.completion_tokens, 16, 'max_tokens defaults to 16 as on OpenAI')
    })

    t.test('an array of two prompts gives choices 0 and 1 and sums usage', async (t) => {
      const one = await c.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 8, temperature: 0 })
      const other = await c.completions.create({ model: MODEL, prompt: 'The dog', max_tokens: 8, temperature: 0 })
      const both = await c.completions.create({
        model: MODEL,
        prompt: [PROMPT, 'The dog'],
        max_tokens: 8,
        temperature: 0,
      })
      t.same(
        both.choices.map((ch) => ch.index),
        [0, 1],
      )
      t.equal(both.choices[0]?.text, one.choices[0]?.text)
      t.equal(both.choices[1]?.text, other.choices[0]?.text)
      t.equal(both.usage?.prompt_tokens, (one.usage?.prompt_tokens ?? 0) + (other.usage?.prompt_tokens ?? 0))
      t.equal(both.usage?.completion_tokens, 16)
      t.equal(both.usage?.total_tokens, (both.usage?.prompt_tokens ?? 0) + 16)
    })

    t.test('token-id prompts from POST /tokenize complete like their text', async (t) => {
      const ids = await tokenize(PROMPT)
      t.ok(ids.length > 1 && ids.every((id) => Number.isInteger(id)))
      const res = await c.completions.create({ model: MODEL, prompt: ids, max_tokens: 12, temperature: 0 })
      t.ok(REFERENCE.startsWith(res.choices[0]?.text ?? 'x'), 'same continuation as the text prompt')
      const many = await c.completions.create({
        model: MODEL,
        prompt: [ids, await tokenize('The dog')],
        max_tokens: 4,
        temperature: 0,
      })
      t.same(
        many.choices.map((ch) => ch.index),
        [0, 1],
      )
      t.equal(many.choices[0]?.text, res.choices[0]?.text.slice(0, many.choices[0]?.text.length))
    })

    t.test('echo puts the prompt before the completion', async (t) => {
      const res = await c.completions.create({
        model: MODEL,
        prompt: PROMPT,
        max_tokens: 10,
        temperature: 0,
        echo: true,
      })
      const text = res.choices[0]?.text ?? ''
      t.ok(text.startsWith(PROMPT), 'starts with the prompt')
      t.ok(REFERENCE.startsWith(text.slice(PROMPT.length)), 'then the continuation')
    })

    t.test('logprobs come in the legacy tokens/token_logprobs/top_logprobs/text_offset shape', async (t) => {
      const res = await c.completions.create({
        model: MODEL,
        prompt: PROMPT,
        max_tokens: 6,
        temperature: 0,
        logprobs: 2,
      })
      const lp = res.choices[0]?.logprobs
      const text = res.choices[0]?.text ?? ''
      t.equal(lp?.tokens?.length, 6)
      t.equal(lp?.tokens?.join(''), text)
      t.equal(lp?.token_logprobs?.length, 6)
      t.ok(lp?.token_logprobs?.every((x) => x <= 0))
      t.equal(lp?.top_logprobs?.length, 6)
      lp?.top_logprobs?.forEach((top, i) => {
        t.equal(Object.keys(top).length, 2, 'two alternatives')
        t.equal(top[lp.tokens?.[i] ?? ''], lp.token_logprobs?.[i], 'the chosen token is among them')
      })
      // as on OpenAI, offsets count from the start of the prompt, so the first completion token sits at its end
      let offset = PROMPT.length
      const offsets = (lp?.tokens ?? []).map((token) => {
        const at = offset
        offset += token.length
        return at
      })
      t.same(lp?.text_offset, offsets, 'text_offset counts characters from the start of the prompt')
    })

    t.test('a streamed completion adds up to the reference and ends with [DONE]', async (t) => {
      const stream = await c.completions.create({
        model: MODEL,
        prompt: PROMPT,
        max_tokens: 20,
        temperature: 0,
        stream: true,
      })
      let text = ''
      let finish: string | null = null
      for await (const chunk of stream) {
        t.equal(chunk.object, 'text_completion')
        text += chunk.choices[0]?.text ?? ''
        finish = chunk.choices[0]?.finish_reason ?? finish
      }
      t.ok(REFERENCE.startsWith(text) && text.length > 20, `the reference: ${JSON.stringify(text)}`)
      t.equal(finish, 'length')
      const raw = await readSseData(
        await postJson(`${s.url}/v1/completions`, {
          model: MODEL,
          prompt: PROMPT,
          max_tokens: 3,
          stream: true,
          stream_options: { include_usage: true },
        }),
      )
      t.equal(raw.at(-1), '[DONE]')
      t.equal((JSON.parse(raw.at(-2) ?? '{}') as OpenAI.Completion).usage?.completion_tokens, 3)
    })

    t.test('POST /v1/embeddings returns 64-dim unit vectors; base64 decodes to the same floats', async (t) => {
      const res = await c.embeddings.create({ model: MODEL, input: 'a little girl', encoding_format: 'float' })
      t.equal(res.object, 'list')
      t.equal(res.model, MODEL)
      t.equal(res.data.length, 1)
      const vector = res.data[0]?.embedding ?? []
      t.equal(res.data[0]?.object, 'embedding')
      t.equal(vector.length, 64)
      t.ok(Math.abs(norm(vector) - 1) < 1e-5, 'unit norm')
      t.equal(res.usage.prompt_tokens, (await tokenize('a little girl')).length + 1)
      t.equal(res.usage.total_tokens, res.usage.prompt_tokens)
      const b64 = await c.embeddings.create({ model: MODEL, input: 'a little girl', encoding_format: 'base64' })
      const encoded = b64.data[0]?.embedding as unknown as string
      t.type(encoded, 'string')
      const bytes = Buffer.from(encoded, 'base64')
      const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      t.equal(floats.length, 64)
      t.ok(
        [...floats].every((x, i) => Math.abs(x - (vector[i] ?? NaN)) < 1e-6),
        'same numbers as the float reply',
      )
      const sdkDefault = await c.embeddings.create({ model: MODEL, input: 'a little girl' })
      t.ok(
        sdkDefault.data[0]?.embedding.every((x, i) => Math.abs(x - (vector[i] ?? NaN)) < 1e-6),
        'the SDK default (base64, decoded by the SDK) agrees',
      )
    })

    t.test(
      'embedding inputs keep their order; token arrays embed like their text; dimensions shortens and renormalizes',
      async (t) => {
        const texts = ['a red ball', 'the big park', 'Lily']
        const singles = await Promise.all(
          texts.map(
            async (input) =>
              (await c.embeddings.create({ model: MODEL, input, encoding_format: 'float' })).data[0]?.embedding ?? [],
          ),
        )
        const batch = await c.embeddings.create({ model: MODEL, input: texts, encoding_format: 'float' })
        t.same(
          batch.data.map((d) => d.index),
          [0, 1, 2],
        )
        batch.data.forEach((d, i) =>
          t.ok(
            d.embedding.every((x, j) => Math.abs(x - (singles[i]?.[j] ?? NaN)) < 1e-4),
            `input ${i} matches its single embedding`,
          ),
        )
        t.not(batch.data[0]?.embedding[0], batch.data[1]?.embedding[0], 'different inputs, different vectors')
        const ids = await tokenize('a red ball')
        const fromIds = await c.embeddings.create({ model: MODEL, input: ids, encoding_format: 'float' })
        t.ok(
          fromIds.data[0]?.embedding.every((x, j) => Math.abs(x - (singles[0]?.[j] ?? NaN)) < 1e-4),
          'token ids embed like their text',
        )
        const idBatch = await c.embeddings.create({
          model: MODEL,
          input: [ids, await tokenize('Lily')],
          encoding_format: 'float',
        })
        t.equal(idBatch.data.length, 2)
        const short = await c.embeddings.create({
          model: MODEL,
          input: 'a red ball',
          dimensions: 16,
          encoding_format: 'float',
        })
        const head = singles[0]?.slice(0, 16) ?? []
        const scale = norm(head)
        t.equal(short.data[0]?.embedding.length, 16)
        t.ok(Math.abs(norm(short.data[0]?.embedding ?? []) - 1) < 1e-5, 'renormalized')
        t.ok(
          short.data[0]?.embedding.every((x, j) => Math.abs(x - (head[j] ?? NaN) / scale) < 1e-4),
          'the first 16 dimensions, rescaled',
        )
      },
    )

    t.test('GET /v1/models lists the model and GET /v1/models/{id} retrieves it', async (t) => {
      const page = await c.models.list()
      t.equal(page.data.length, 1)
      t.equal(page.data[0]?.id, MODEL)
      t.equal(page.data[0]?.object, 'model')
      t.type(page.data[0]?.created, 'number')
      t.type(page.data[0]?.owned_by, 'string')
      const one = await c.models.retrieve(MODEL)
      t.same(one, page.data[0])
    })

    t.test('GET /health answers 200 {status: "ok"}', async (t) => {
      const res = await fetch(`${s.url}/health`)
      t.equal(res.status, 200)
      t.match(await res.json(), { status: 'ok' })
    })

    t.test('POST /tokenize (with pieces) and POST /detokenize round-trip', async (t) => {
      const text = 'Lily saw a big, red ball.'
      const ids = await tokenize(text)
      const pieces = (await (await postJson(`${s.url}/tokenize`, { content: text, with_pieces: true })).json()) as {
        tokens: { id: number; piece: string }[]
      }
      t.same(
        pieces.tokens.map((p) => p.id),
        ids,
      )
      t.equal(
        pieces.tokens
          .map((p) => p.piece)
          .join('')
          .replace(/\u2581/g, ' ')
          .trimStart(),
        text,
        'pieces spell the text',
      )
      const back = await postJson(`${s.url}/detokenize`, { tokens: ids })
      t.equal(back.status, 200)
      t.equal(((await back.json()) as { content: string }).content.trimStart(), text)
      const withBos = (await (await postJson(`${s.url}/tokenize`, { content: text, add_special: true })).json()) as {
        tokens: number[]
      }
      t.equal(withBos.tokens.length, ids.length + 1, 'add_special adds BOS')
    })
  })
}
