import t from 'tap'
import { chatCompletion } from '../../../src/engine/generation/chat.js'
import { collectGeneration } from '../../../src/engine/generation/collect.js'
import { textCompletion } from '../../../src/engine/generation/completion.js'
import { collect, startTestEngine } from '../../helpers/engine.js'

// llama.cpp's own llama-simple printed this greedy continuation of stories260K (see shared/models/MODELS.md)
const REFERENCE =
  ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.'

const engine = await startTestEngine()
t.teardown(() => engine.close())
const opts = {}

t.test('a greedy completion of "Once upon a time" is the text native llama.cpp writes', async (t) => {
  const first = await collectGeneration(
    textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 28, temperature: 0 }, opts),
  )
  const second = await collectGeneration(
    textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 28, temperature: 0 }, opts),
  )
  const text = first.choices[0]?.text ?? ''
  t.ok(REFERENCE.startsWith(text) && text.length > 60, `text matches the reference: ${JSON.stringify(text)}`)
  t.equal(second.choices[0]?.text, text, 'the same again')
  t.equal(first.choices[0]?.finish, 'length')
  t.same(first.usage, { prompt_tokens: 5, completion_tokens: 28, total_tokens: 33 })
  t.ok(first.timings && first.timings.predicted_n === 28, 'timings are reported')
})

t.test('chat with the chatml template renders the messages through the template', async (t) => {
  const chat = await collectGeneration(
    chatCompletion(
      engine,
      { messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 20, temperature: 0 },
      opts,
    ),
  )
  const raw = await collectGeneration(
    textCompletion(
      engine,
      {
        prompt: '<|im_start|>user\nTell me a story<|im_end|>\n<|im_start|>assistant\n',
        max_tokens: 20,
        temperature: 0,
      },
      opts,
    ),
  )
  t.ok((chat.choices[0]?.text ?? '').length > 0, 'the assistant said something')
  t.equal(chat.choices[0]?.text, raw.choices[0]?.text, 'same greedy text as the hand-rendered chatml prompt')
  t.equal(chat.usage.prompt_tokens, raw.usage.prompt_tokens, 'same prompt length')
})

t.test('chat events come in order: text pieces, finish, usage', async (t) => {
  const events = await collect(
    chatCompletion(engine, { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8, temperature: 0 }, opts),
  )
  const types = events.map((e) => e.type)
  t.same(types.slice(-2), ['finish', 'usage'], 'finish, then usage, last')
  t.ok(types.length > 2 && types.slice(0, -2).every((type) => type === 'text'), 'text pieces before')
  t.ok(
    events.every((e) => e.type === 'usage' || e.choice === 0),
    'every piece names its choice',
  )
  t.same(events.at(-2), { type: 'finish', choice: 0, reason: 'length' })
  const last = events.at(-1)
  t.equal(last?.type === 'usage' && last.usage.completion_tokens, 8)
})

t.test('stop sequences end the text before the stop string', async (t) => {
  const res = await collectGeneration(
    textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 40, temperature: 0, stop: [' Lily'] }, opts),
  )
  t.equal(res.choices[0]?.text, ', there was a little girl named')
  t.equal(res.choices[0]?.finish, 'stop')
})

t.test('the same seed gives the same sampled text, another seed another text', async (t) => {
  const run = async (seed: number) =>
    (
      await collectGeneration(
        textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 40, temperature: 1.2, seed }, opts),
      )
    ).choices[0]?.text
  const a = await run(42)
  t.equal(await run(42), a)
  t.not(await run(7), a)
})

t.test('n choices with one seed are sampled differently and reported once each', async (t) => {
  const res = await collectGeneration(
    chatCompletion(
      engine,
      { messages: [{ role: 'user', content: 'Go' }], max_tokens: 24, temperature: 1.2, seed: 3, n: 2 },
      opts,
    ),
  )
  t.equal(res.choices.length, 2)
  t.not(res.choices[0]?.text, res.choices[1]?.text)
  t.equal(res.usage.completion_tokens, 48, 'completion tokens of both choices')
})

t.test('json_schema output parses and satisfies the schema', async (t) => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer', minimum: 0, maximum: 120 } },
    required: ['name', 'age'],
  }
  const res = await collectGeneration(
    chatCompletion(
      engine,
      {
        messages: [{ role: 'user', content: 'A person as JSON' }],
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
        max_tokens: 200,
        temperature: 0,
      },
      opts,
    ),
  )
  const value = JSON.parse(res.choices[0]?.text ?? '') as { name: unknown; age: unknown }
  t.type(value.name, 'string')
  t.ok((value.name as string).length <= 12)
  t.ok(
    Number.isInteger(value.age) && (value.age as number) >= 0 && (value.age as number) <= 120,
    `age ${String(value.age)} in range`,
  )
  t.equal(res.choices[0]?.finish, 'stop')
})

t.test('a raw GBNF grammar constrains the output', async (t) => {
  const res = await collectGeneration(
    textCompletion(
      engine,
      { prompt: 'The answer is', grammar: 'root ::= ("yes" | "no") "."', max_tokens: 10, temperature: 0 },
      opts,
    ),
  )
  t.match(res.choices[0]?.text, /^(yes|no)\.$/)
})

t.test('logprobs come with each token, top_logprobs as asked', async (t) => {
  const res = await collectGeneration(
    chatCompletion(
      engine,
      { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 3 },
      opts,
    ),
  )
  const content = res.choices[0]?.logprobs ?? []
  t.equal(content.length, 5)
  t.ok(
    content.every((c) => c.logprob <= 0 && c.top_logprobs.length === 3),
    'three alternatives per token',
  )
  t.equal(content.map((c) => c.token).join(''), res.choices[0]?.text)
  const text = await collectGeneration(
    textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 4, temperature: 0, logprobs: 2 }, opts),
  )
  const lp = text.choices[0]?.logprobs ?? []
  t.equal(lp.map((l) => l.token).join(''), text.choices[0]?.text, 'text completion logprobs list the tokens')
  t.ok(
    lp.every((l) => l.top_logprobs.length === 2),
    'with as many candidates as asked',
  )
})

t.test('logit_bias bans a token', async (t) => {
  const plain = await collectGeneration(
    textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 1, temperature: 0, logprobs: 1 }, opts),
  )
  const first = plain.choices[0]?.text ?? ''
  t.equal(first, ',')
  const comma = engine.tokenizer.tokenize('Once upon a time,').at(-1) as number
  t.equal(engine.tokenizer.detokenize([comma]), ',')
  const banned = await collectGeneration(
    textCompletion(
      engine,
      { prompt: 'Once upon a time', max_tokens: 1, temperature: 0, logit_bias: { [comma]: -100 } },
      opts,
    ),
  )
  t.not(banned.choices[0]?.text, ',', 'the top token is gone once biased away')
})

t.test('invalid UTF-8 in the output becomes U+FFFD and the request still succeeds', async (t) => {
  const byteFF =
    engine.tokenizer
      .tokenize('\u00ff', { addSpecial: false })
      .find((id) => engine.tokenizer.pieceBytes(id)[0] === 0xff && engine.tokenizer.pieceBytes(id).length === 1) ?? 258
  t.same([...engine.tokenizer.pieceBytes(byteFF)], [0xff], 'a lone 0xFF byte token')
  const text = await collectGeneration(
    textCompletion(engine, { prompt: 'Hello', max_tokens: 4, temperature: 0, logit_bias: { [byteFF]: 100 } }, opts),
  )
  t.equal(text.choices[0]?.text, '\uFFFD'.repeat(4))
  t.equal(text.usage.completion_tokens, 4)
  const chat = await collectGeneration(
    chatCompletion(
      engine,
      { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, temperature: 0, logit_bias: { [byteFF]: 100 } },
      opts,
    ),
  )
  t.equal(chat.choices[0]?.text, '\uFFFD'.repeat(4))
})

t.test('tool_choice required yields a well-formed call of a listed tool', async (t) => {
  const tools = [
    {
      type: 'function' as const,
      function: {
        name: 'get_weather',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string', enum: ['Paris', 'London'] } },
          required: ['city'],
        },
      },
    },
    {
      type: 'function' as const,
      function: {
        name: 'get_time',
        parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } }, required: ['zone'] },
      },
    },
  ]
  const events = await collect(
    chatCompletion(
      engine,
      {
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools,
        tool_choice: 'required',
        max_tokens: 300,
        temperature: 0,
      },
      opts,
    ),
  )
  const res = await collectGeneration(
    (async function* () {
      yield* events
    })(),
  )
  const choice = res.choices[0]
  t.equal(choice?.finish, 'tool_calls')
  t.equal(choice?.text, '', 'no text beside the call')
  const call = choice?.toolCalls?.[0]
  t.ok(call && ['get_weather', 'get_time'].includes(call.function.name), `called ${call?.function.name}`)
  t.match(call?.id, /^call_/)
  const args = JSON.parse(call?.function.arguments ?? '') as Record<string, unknown>
  t.ok(
    call?.function.name === 'get_weather'
      ? ['Paris', 'London'].includes(args.city as string)
      : typeof args.zone === 'string',
    'arguments satisfy the schema',
  )
  const pieces = events.filter((e) => e.type === 'tool_call')
  t.ok(pieces.length >= 2, 'the call streams as several pieces')
  t.equal(pieces[0]?.name, call?.function.name, 'id and name come first')
  t.equal(pieces[0]?.arguments, '')
  const named = await collectGeneration(
    chatCompletion(
      engine,
      {
        messages: [{ role: 'user', content: 'What time?' }],
        tools,
        tool_choice: { type: 'function', function: { name: 'get_time' } },
        max_tokens: 300,
        temperature: 0,
      },
      opts,
    ),
  )
  t.equal(named.choices[0]?.toolCalls?.[0]?.function.name, 'get_time', 'a named tool_choice object forces that tool')
  await t.rejects(
    collect(
      chatCompletion(
        engine,
        {
          messages: [{ role: 'user', content: 'x' }],
          tools,
          tool_choice: { type: 'function', function: { name: 'nope' } },
        },
        opts,
      ),
    ),
    { code: 'invalid_request', param: 'tool_choice.function.name' },
  )
})

t.test('a forced call with a rich parameter schema runs under the compact grammar and parses', async (t) => {
  const parameters = {
    type: 'object',
    properties: {
      city: { type: 'string', maxLength: 10 },
      unit: { type: 'string', enum: ['c', 'f'] },
      days: { type: 'integer' },
      hourly: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string', maxLength: 5 }, maxItems: 2 },
      where: {
        type: 'object',
        properties: { lat: { type: 'number' }, note: { type: ['string', 'null'], maxLength: 5 } },
        required: ['lat'],
      },
    },
    required: ['city', 'unit', 'where'],
  }
  const res = await collectGeneration(
    chatCompletion(
      engine,
      {
        messages: [{ role: 'user', content: 'Weather?' }],
        tools: [{ type: 'function', function: { name: 'forecast', parameters } }],
        tool_choice: { type: 'function', function: { name: 'forecast' } },
        max_tokens: 400,
        temperature: 0.8,
        seed: 11,
      },
      opts,
    ),
  )
  const call = res.choices[0]?.toolCalls[0]
  t.equal(res.choices[0]?.finish, 'tool_calls')
  t.equal(call?.function.name, 'forecast')
  const args = JSON.parse(call?.function.arguments ?? '') as Record<string, unknown>
  t.equal(call?.function.arguments, JSON.stringify(args), `compact: ${call?.function.arguments}`)
  t.ok(typeof args.city === 'string' && args.city.length <= 10, 'city')
  t.ok(args.unit === 'c' || args.unit === 'f', 'unit')
  const where = args.where as { lat?: unknown; note?: unknown }
  t.type(where.lat, 'number')
  t.ok(!('note' in where) || where.note === null || typeof where.note === 'string', 'note')
  const known = ['city', 'unit', 'days', 'hourly', 'tags', 'where']
  t.ok(
    Object.keys(args).every((key) => known.includes(key)),
    'no other keys',
  )
})
