import t, { type Test } from 'tap'
import type OpenAI from 'openai'
import { startTestServer, TRANSPORTS } from '../helpers/server.js'
import { postJson, readSseData } from '../helpers/sse.js'

const MODEL = 'stories260K'
const USER: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Once upon a time' }]
const WEATHER: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', enum: ['Paris', 'Rome'] } },
      required: ['city'],
      additionalProperties: false,
    },
  },
}
const TIME: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Time in a zone',
    parameters: {
      type: 'object',
      properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } },
      required: ['zone'],
      additionalProperties: false,
    },
  },
}

type Call = { id: string; type: string; function: { name: string; arguments: string } }

/** Checks one tool call is well formed and returns its parsed arguments. */
function checkCall(
  t: Test,
  call: Call | undefined,
  name: string,
  key: string,
  allowed: string[],
): Record<string, unknown> {
  t.ok(call, 'a tool call')
  if (!call) return {}
  t.match(call.id, /^call_[\w-]+$/) // base64url
  t.equal(call.type, 'function')
  t.equal(call.function.name, name)
  const args = JSON.parse(call.function.arguments) as Record<string, unknown>
  t.same(Object.keys(args), [key])
  t.ok(allowed.includes(args[key] as string), `${key} is one of ${allowed.join(', ')}: ${String(args[key])}`)
  return args
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: POST /v1/chat/completions through the openai SDK`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    const c = s.client
    const greedy = await c.chat.completions.create({ model: MODEL, messages: USER, max_tokens: 24, temperature: 0 })
    const greedyText = greedy.choices[0]?.message.content ?? ''

    t.test("a non-streamed completion has OpenAI's shape and counts its tokens", async (t) => {
      t.equal(greedy.object, 'chat.completion')
      t.match(greedy.id, /^chatcmpl-/)
      t.equal(greedy.model, MODEL)
      t.type(greedy.created, 'number')
      t.equal(greedy.choices.length, 1)
      const choice = greedy.choices[0]
      t.equal(choice?.index, 0)
      t.equal(choice?.message.role, 'assistant')
      t.equal(choice?.message.refusal, null)
      t.ok(greedyText.length > 10, `some text: ${JSON.stringify(greedyText)}`)
      t.equal(choice?.finish_reason, 'length')
      t.equal(choice?.logprobs, null)
      t.equal(greedy.usage?.completion_tokens, 24)
      t.ok((greedy.usage?.prompt_tokens ?? 0) > 3, 'prompt tokens include the template')
      t.equal(greedy.usage?.total_tokens, (greedy.usage?.prompt_tokens ?? 0) + 24)
    })

    t.test('a stream with include_usage adds up to the same text and ends with one usage chunk', async (t) => {
      const stream = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 24,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      })
      const chunks: OpenAI.ChatCompletionChunk[] = []
      for await (const chunk of stream) chunks.push(chunk)
      t.equal(chunks.map((ch) => ch.choices[0]?.delta.content ?? '').join(''), greedyText)
      t.equal(new Set(chunks.map((ch) => ch.id)).size, 1, 'one id for every chunk')
      t.ok(chunks.every((ch) => ch.object === 'chat.completion.chunk'))
      t.equal(chunks[0]?.choices[0]?.delta.role, 'assistant')
      t.equal(chunks.filter((ch) => ch.choices[0]?.finish_reason === 'length').length, 1, 'one finish_reason')
      const withUsage = chunks.filter((ch) => ch.usage)
      t.equal(withUsage.length, 1, 'exactly one chunk has usage')
      t.equal(withUsage[0], chunks.at(-1), 'and it is the last')
      t.same(chunks.at(-1)?.choices, [])
      t.same(chunks.at(-1)?.usage, greedy.usage)
      // the raw stream: the usage chunk comes right before [DONE]
      const raw = await readSseData(
        await postJson(`${s.url}/v1/chat/completions`, {
          model: MODEL,
          messages: USER,
          max_tokens: 5,
          temperature: 0,
          stream: true,
          stream_options: { include_usage: true },
        }),
      )
      t.equal(raw.at(-1), '[DONE]')
      const beforeDone = JSON.parse(raw.at(-2) ?? '{}') as OpenAI.ChatCompletionChunk
      t.equal(beforeDone.usage?.completion_tokens, 5)
      t.ok(
        raw.slice(0, -2).every((data) => (JSON.parse(data) as OpenAI.ChatCompletionChunk).usage === null),
        'the other chunks carry usage: null',
      )
    })

    t.test('a stream without include_usage has no usage anywhere', async (t) => {
      const stream = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 8,
        temperature: 0,
        stream: true,
      })
      const chunks: OpenAI.ChatCompletionChunk[] = []
      for await (const chunk of stream) chunks.push(chunk)
      t.ok(chunks.length >= 3)
      t.ok(
        chunks.every((ch) => ch.usage == null && ch.choices.length === 1),
        'no usage, no empty-choices chunk',
      )
      t.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'length')
    })

    t.test('n: 2 returns two indexed choices and counts both', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 10,
        temperature: 1,
        n: 2,
      })
      t.same(res.choices.map((ch) => ch.index).sort(), [0, 1])
      t.ok(res.choices.every((ch) => (ch.message.content ?? '').length > 0 && ch.finish_reason === 'length'))
      t.equal(res.usage?.completion_tokens, 20)
      const stream = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 6,
        temperature: 1,
        n: 2,
        stream: true,
      })
      const finished = new Set<number>()
      for await (const chunk of stream) for (const ch of chunk.choices) if (ch.finish_reason) finished.add(ch.index)
      t.same([...finished].sort(), [0, 1], 'both streamed choices finish')
    })

    t.test('stop cuts the text before the stop sequence', async (t) => {
      const stop = greedyText.slice(8, 12)
      const expected = greedyText.slice(0, greedyText.indexOf(stop))
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 24,
        temperature: 0,
        stop: [stop, 'zzqx'],
      })
      t.equal(res.choices[0]?.message.content, expected, `stopped at ${JSON.stringify(stop)}`)
      t.equal(res.choices[0]?.finish_reason, 'stop')
      const stream = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 24,
        temperature: 0,
        stop,
        stream: true,
      })
      let text = ''
      let finish: string | null = null
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? ''
        finish = chunk.choices[0]?.finish_reason ?? finish
      }
      t.equal(text, expected, 'the stream stops at the same place')
      t.equal(finish, 'stop')
    })

    t.test('the same seed gives the same sample, another seed another', async (t) => {
      const ask = (seed: number) =>
        c.chat.completions
          .create({ model: MODEL, messages: USER, max_tokens: 40, temperature: 1, seed })
          .then((r) => r.choices[0]?.message.content)
      const a = await ask(42)
      t.equal(await ask(42), a)
      t.not(await ask(7), a)
    })

    t.test('max_completion_tokens limits the completion and wins over max_tokens', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_completion_tokens: 5,
        temperature: 0,
      })
      t.equal(res.usage?.completion_tokens, 5)
      t.equal(res.choices[0]?.finish_reason, 'length')
      t.ok(greedyText.startsWith(res.choices[0]?.message.content ?? 'x'), 'a prefix of the greedy text')
      const both = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_completion_tokens: 3,
        max_tokens: 9,
        temperature: 0,
      })
      t.equal(both.usage?.completion_tokens, 3)
    })

    t.test('logprobs and top_logprobs describe every generated token', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 6,
        temperature: 0,
        logprobs: true,
        top_logprobs: 3,
      })
      const content = res.choices[0]?.logprobs?.content ?? []
      t.equal(content.length, 6)
      t.equal(content.map((lp) => lp.token).join(''), res.choices[0]?.message.content)
      for (const lp of content) {
        t.ok(lp.logprob <= 0)
        t.same(lp.bytes, [...Buffer.from(lp.token, 'utf8')])
        t.equal(lp.top_logprobs.length, 3)
        t.equal(lp.top_logprobs[0]?.token, lp.token, 'greedy picks the most likely token')
        t.ok(
          lp.top_logprobs.every((top, i) => i === 0 || top.logprob <= (lp.top_logprobs[i - 1]?.logprob ?? 0)),
          'sorted',
        )
      }
      const stream = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 4,
        temperature: 0,
        logprobs: true,
        top_logprobs: 1,
        stream: true,
      })
      const streamed: string[] = []
      for await (const chunk of stream)
        for (const lp of chunk.choices[0]?.logprobs?.content ?? []) streamed.push(lp.token)
      t.same(
        streamed,
        content.slice(0, 4).map((lp) => lp.token),
        'the stream carries the same tokens',
      )
    })

    t.test('response_format json_schema output parses and satisfies the schema', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Describe a toy as JSON' }],
        max_tokens: 300,
        temperature: 0,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'toy',
            strict: true,
            schema: {
              type: 'object',
              properties: { name: { type: 'string', maxLength: 10 }, color: { type: 'string', enum: ['red', 'blue'] } },
              required: ['name', 'color'],
              additionalProperties: false,
            },
          },
        },
      })
      t.equal(res.choices[0]?.finish_reason, 'stop')
      const value = JSON.parse(res.choices[0]?.message.content ?? '') as { name: unknown; color: unknown }
      t.same(Object.keys(value).sort(), ['color', 'name'])
      t.type(value.name, 'string')
      t.ok((value.name as string).length <= 10)
      t.ok(['red', 'blue'].includes(value.color as string))
    })

    t.test('response_format json_object output is a JSON object', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Reply in JSON' }],
        max_tokens: 300,
        temperature: 0,
        response_format: { type: 'json_object' },
      })
      t.equal(res.choices[0]?.finish_reason, 'stop')
      const value: unknown = JSON.parse(res.choices[0]?.message.content ?? '')
      t.ok(value !== null && typeof value === 'object' && !Array.isArray(value), 'an object')
    })

    t.test('tool_choice required makes a well-formed tool call', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Weather in Rome?' }],
        max_tokens: 300,
        temperature: 0,
        tools: [WEATHER],
        tool_choice: 'required',
      })
      t.equal(res.choices[0]?.finish_reason, 'tool_calls')
      t.equal(res.choices[0]?.message.content, null)
      checkCall(t, res.choices[0]?.message.tool_calls?.[0] as Call | undefined, 'get_weather', 'city', [
        'Paris',
        'Rome',
      ])
    })

    t.test('a named tool_choice calls that function', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'What time is it?' }],
        max_tokens: 300,
        temperature: 0,
        tools: [WEATHER, TIME],
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      })
      t.equal(res.choices[0]?.finish_reason, 'tool_calls')
      t.equal(res.choices[0]?.message.tool_calls?.length, 1)
      checkCall(t, res.choices[0]?.message.tool_calls?.[0] as Call | undefined, 'get_time', 'zone', ['UTC', 'CET'])
    })

    t.test('a named forced tool call generates only its arguments, as compact JSON', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'What time is it?' }],
        max_tokens: 300,
        temperature: 0,
        tools: [WEATHER, TIME],
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      })
      const call = res.choices[0]?.message.tool_calls?.[0] as Call | undefined
      const args = call?.function.arguments ?? ''
      t.equal(args, JSON.stringify(JSON.parse(args)), `no whitespace: ${args}`)
      const tokenized = await postJson(`${s.url}/tokenize`, { content: args })
      const { tokens } = (await tokenized.json()) as { tokens: number[] }
      const spent = res.usage?.completion_tokens ?? Infinity
      t.ok(spent <= tokens.length + 4, `${spent} completion tokens for arguments of ${tokens.length} tokens`)
    })

    t.test('tool_choice required with several tools and parallel calls makes well-formed calls', async (t) => {
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Weather in Rome and the time?' }],
        max_tokens: 1000, // room for the most calls allowed (8)
        temperature: 0,
        tools: [WEATHER, TIME],
        tool_choice: 'required',
        parallel_tool_calls: true,
      })
      t.equal(res.choices[0]?.finish_reason, 'tool_calls')
      const calls = (res.choices[0]?.message.tool_calls ?? []) as Call[]
      t.ok(calls.length >= 1 && calls.length <= 8, `${calls.length} calls`)
      t.equal(new Set(calls.map((call) => call.id)).size, calls.length, 'each call has its own id')
      for (const call of calls) {
        if (call.function.name === 'get_weather') checkCall(t, call, 'get_weather', 'city', ['Paris', 'Rome'])
        else checkCall(t, call, 'get_time', 'zone', ['UTC', 'CET'])
      }
    })

    t.test("a streamed tool call accumulates in the SDK's ChatCompletionStream", async (t) => {
      const params = {
        model: MODEL,
        messages: [{ role: 'user', content: 'Weather in Rome?' }],
        max_tokens: 300,
        temperature: 0,
        tools: [WEATHER],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      } as const satisfies OpenAI.ChatCompletionCreateParamsNonStreaming
      const whole = await c.chat.completions.create(params)
      const stream = c.chat.completions.stream(params)
      let deltas = 0
      stream.on('chunk', (chunk) => {
        if (chunk.choices[0]?.delta.tool_calls) deltas++
      })
      const final = await stream.finalChatCompletion()
      t.ok(deltas > 1, `the arguments arrived in ${deltas} deltas`)
      t.equal(final.choices[0]?.finish_reason, 'tool_calls')
      const call = final.choices[0]?.message.tool_calls?.[0] as Call | undefined
      checkCall(t, call, 'get_weather', 'city', ['Paris', 'Rome'])
      t.equal(final.choices[0]?.message.tool_calls?.length, 1)
      const expected = whole.choices[0]?.message.tool_calls?.[0] as Call | undefined
      t.equal(call?.function.arguments, expected?.function.arguments, 'the same call as without streaming')
    })

    t.test('the deprecated functions and function_call fields force a function call', async (t) => {
      const functions = [WEATHER.function]
      const res = await c.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Weather?' }],
        max_tokens: 300,
        temperature: 0,
        functions,
        function_call: { name: 'get_weather' },
      })
      const choice = res.choices[0]
      t.equal(choice?.finish_reason, 'function_call')
      t.equal(choice?.message.function_call?.name, 'get_weather')
      const args = JSON.parse(choice?.message.function_call?.arguments ?? '') as { city?: string }
      t.ok(['Paris', 'Rome'].includes(args.city ?? ''))
      t.notOk(choice?.message.tool_calls?.length, 'no tool_calls in the legacy reply')
      const stream = c.chat.completions.stream({
        model: MODEL,
        messages: [{ role: 'user', content: 'Weather?' }],
        max_tokens: 300,
        temperature: 0,
        functions,
        function_call: { name: 'get_weather' },
      })
      const final = await stream.finalChatCompletion()
      t.equal(final.choices[0]?.finish_reason, 'function_call')
      t.same(
        final.choices[0]?.message.function_call,
        choice?.message.function_call,
        'streamed function_call deltas add up to the same call',
      )
      const none = await c.chat.completions.create({
        model: MODEL,
        messages: USER,
        max_tokens: 5,
        temperature: 0,
        functions,
        function_call: 'none',
      })
      t.equal(none.choices[0]?.finish_reason, 'length')
      t.ok(none.choices[0]?.message.content, 'plain text with function_call none')
    })
  })
}
