import t from 'tap'
import { Compile } from 'typebox/compile'
import type OpenAI from 'openai'
import { MAX_CHOICES } from '../../../src/limits/limits.js'
import * as C from '../../../src/schemas/chat.js'
import * as L from '../../../src/schemas/completions.js'
import * as E from '../../../src/schemas/embeddings.js'
import { failsAt } from '../../helpers/schema-errors.js'

// Compile-time half: what the SDK sends must type as our params.
type Extends<A, B> = [A] extends [B] ? true : false
function same<X extends true>(_: X): void {}
same<Extends<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, C.ChatCompletionCreateParamsNonStreaming>>(true)
same<Extends<OpenAI.Chat.ChatCompletionCreateParamsStreaming, C.ChatCompletionCreateParamsStreaming>>(true)
same<Extends<OpenAI.Chat.ChatCompletionCreateParams, C.ChatCompletionCreateParams>>(true)
same<Extends<OpenAI.CompletionCreateParamsNonStreaming, L.CompletionCreateParamsNonStreaming>>(true)
same<Extends<OpenAI.CompletionCreateParamsStreaming, L.CompletionCreateParamsStreaming>>(true)
same<Extends<OpenAI.EmbeddingCreateParams, E.EmbeddingCreateParams>>(true)

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather-2',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: true,
  },
}

const chatRequest: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
  model: 'stories260K',
  messages: [
    { role: 'developer', content: 'Answer briefly.' },
    { role: 'system', content: [{ type: 'text', text: 'You are helpful.' }], name: 'sys' },
    { role: 'user', content: 'What is the weather in Paris?', name: 'ann' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather-2', arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'It is 21C.' },
        { type: 'refusal', refusal: 'No more.' },
      ],
      refusal: null,
    },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'And this?' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
        { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
        { type: 'file', file: { file_data: 'JVBERi0=', filename: 'a.pdf' } },
      ],
    },
    { role: 'function', name: 'get_weather-2', content: null },
  ],
  frequency_penalty: -2,
  presence_penalty: 2,
  logit_bias: { '50256': -100, '7': 100 },
  logprobs: true,
  top_logprobs: 20,
  max_tokens: 1,
  max_completion_tokens: 64,
  n: MAX_CHOICES,
  stop: ['\n', 'END', '###', '</s>'],
  seed: -42,
  stream: false,
  stream_options: null,
  temperature: 0,
  top_p: 1,
  tools: [weatherTool],
  tool_choice: { type: 'function', function: { name: 'get_weather-2' } },
  parallel_tool_calls: false,
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'weather_reply', schema: { type: 'object' }, strict: true, description: 'd' },
  },
  user: 'user-1',
  metadata: { k: 'v' },
  store: false,
  reasoning_effort: 'low',
  service_tier: 'auto',
  modalities: ['text'],
  prediction: { type: 'content', content: 'x' },
  verbosity: 'low',
}

const streamRequest: OpenAI.Chat.ChatCompletionCreateParamsStreaming = {
  model: 'stories260K',
  messages: [{ role: 'user', content: 'Once upon a time' }],
  stream: true,
  stream_options: { include_usage: true },
  stop: 'END',
  tool_choice: 'required',
  tools: [weatherTool],
  response_format: { type: 'json_object' },
}

const llamaExtensions = {
  top_k: 40,
  min_p: 0.05,
  repeat_penalty: 1.1,
  grammar: 'root ::= "yes" | "no"',
  ignore_eos: true,
}

t.test('ChatCompletionCreateParams accepts SDK-shaped requests, llama.cpp extensions and unknown fields', async (t) => {
  const check = Compile(C.ChatCompletionCreateParams)
  t.ok(check.Check(chatRequest), 'every message kind and most settings')
  t.ok(check.Check(streamRequest), 'stream: true')
  t.ok(check.Check({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }), 'the minimum')
  t.ok(check.Check({ ...streamRequest, ...llamaExtensions }), 'llama.cpp extensions')
  t.ok(
    check.Check({ ...streamRequest, top_k: 0, min_p: 0, repeat_penalty: 0, max_tokens: null, seed: null, n: null }),
    'lower bounds and nulls',
  )
  t.ok(
    check.Check({
      ...chatRequest,
      response_format: { type: 'text' },
      tool_choice: 'none',
      stop: null,
      logit_bias: null,
    }),
  )
  t.ok(check.Check({ ...chatRequest, stop: [] }), 'an empty stop list is no stop sequence')
  t.ok(
    check.Check({ ...chatRequest, cache_prompt: true, chat_template_kwargs: { enable_thinking: false } }),
    'unknown top-level fields',
  )
  t.ok(
    check.Check({
      model: 'm',
      messages: [{ role: 'user', content: 'hi', extra: 1 }],
      tools: [{ ...weatherTool, extra: 2 }],
    }),
    'unknown nested fields',
  )
  t.ok(
    check.Check({
      ...chatRequest,
      functions: [{ name: 'f', parameters: { type: 'object' } }],
      function_call: { name: 'f' },
    }),
    'deprecated functions',
  )
  t.ok(
    check.Check({
      ...chatRequest,
      tools: [{ type: 'custom', custom: { name: 'sql' } }],
      tool_choice: { type: 'custom', custom: { name: 'sql' } },
    }),
    'custom tools parse, so the API can refuse them by name',
  )
  t.ok(
    check.Check({
      ...chatRequest,
      tool_choice: {
        type: 'allowed_tools',
        allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'f' } }] },
      },
    }),
  )
})

t.test('ChatCompletionCreateParams rejects each bad field at its own path', async (t) => {
  const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }
  const cases: [Record<string, unknown>, string][] = [
    [{ frequency_penalty: 2.01 }, '/frequency_penalty'],
    [{ presence_penalty: -2.5 }, '/presence_penalty'],
    [{ presence_penalty: '1' }, '/presence_penalty'],
    [{ logit_bias: { '50256': 101 } }, '/logit_bias/50256'],
    [{ logit_bias: { '50256': -100.5 } }, '/logit_bias/50256'],
    [{ logit_bias: { hello: 1 } }, '/logit_bias/hello'],
    [{ logit_bias: { '1': '5' } }, '/logit_bias/1'],
    [{ logprobs: 'yes' }, '/logprobs'],
    [{ top_logprobs: 21 }, '/top_logprobs'],
    [{ top_logprobs: -1 }, '/top_logprobs'],
    [{ max_tokens: 0 }, '/max_tokens'],
    [{ max_completion_tokens: 0 }, '/max_completion_tokens'],
    [{ max_completion_tokens: 1.5 }, '/max_completion_tokens'],
    [{ n: 0 }, '/n'],
    [{ n: MAX_CHOICES + 1 }, '/n'],
    [{ stop: ['a', 'b', 'c', 'd', 'e'] }, '/stop'],
    [{ stop: 5 }, '/stop'],
    [{ seed: 1.5 }, '/seed'],
    [{ stream: 'yes' }, '/stream'],
    [{ stream_options: { include_usage: 'yes' } }, '/stream_options/include_usage'],
    [{ temperature: 2.01 }, '/temperature'],
    [{ temperature: -0.1 }, '/temperature'],
    [{ top_p: 1.01 }, '/top_p'],
    [{ tools: [{ type: 'function', function: { name: 'get weather' } }] }, '/tools/0/function/name'],
    [{ tools: [{ type: 'function', function: { name: 'x'.repeat(65) } }] }, '/tools/0/function/name'],
    [{ tools: [{ type: 'function', function: { name: 'f', parameters: 'object' } }] }, '/tools/0/function/parameters'],
    [{ tools: [{ type: 'function', function: { name: 'f', strict: 'yes' } }] }, '/tools/0/function/strict'],
    [{ tools: [{ type: 'function' }] }, '/tools/0'],
    [{ tools: Array.from({ length: 129 }, () => weatherTool) }, '/tools'],
    [{ tool_choice: 'any' }, '/tool_choice'],
    [{ tool_choice: { type: 'function', function: {} } }, '/tool_choice/function'],
    [{ parallel_tool_calls: 'yes' }, '/parallel_tool_calls'],
    [
      { response_format: { type: 'json_schema', json_schema: { name: 'bad name' } } },
      '/response_format/json_schema/name',
    ],
    [
      { response_format: { type: 'json_schema', json_schema: { name: 'ok', schema: 'object' } } },
      '/response_format/json_schema/schema',
    ],
    [{ response_format: { type: 'xml' } }, '/response_format/type'],
    [{ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }, '/metadata'],
    [{ modalities: ['video'] }, '/modalities/0'],
    [{ user: 5 }, '/user'],
    [{ top_k: -1 }, '/top_k'],
    [{ top_k: 2.5 }, '/top_k'],
    [{ min_p: 1.5 }, '/min_p'],
    [{ repeat_penalty: -0.1 }, '/repeat_penalty'],
    [{ grammar: 5 }, '/grammar'],
    [{ ignore_eos: 'true' }, '/ignore_eos'],
    [{ model: 5 }, '/model'],
    [{ messages: [] }, '/messages'],
    [{ messages: 'hi' }, '/messages'],
    [{ messages: [{ role: 'robot', content: 'hi' }] }, '/messages/0/role'],
    [{ messages: [{ role: 'user', content: 5 }] }, '/messages/0/content'],
    [{ messages: [{ role: 'user', content: [] }] }, '/messages/0/content'],
    [{ messages: [{ role: 'user', content: [{ type: 'video', video: {} }] }] }, '/messages/0/content/0/type'],
    [{ messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }, '/messages/0/content/0/text'],
    [
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x', detail: 'max' } }] }] },
      '/messages/0/content/0/image_url/detail',
    ],
    [
      { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'ogg' } }] }] },
      '/messages/0/content/0/input_audio/format',
    ],
    [
      { messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] },
      '/messages/0/content/0/type',
    ],
    [
      { messages: [{ role: 'assistant', content: [{ type: 'refusal', refusal: 1 }] }] },
      '/messages/0/content/0/refusal',
    ],
    [
      {
        messages: [
          { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] },
        ],
      },
      '/messages/0/tool_calls/0/function/arguments',
    ],
    [{ messages: [{ role: 'tool', content: 'x' }] }, '/messages/0'],
    [{ messages: [{ role: 'tool', content: 'x', tool_call_id: 7 }] }, '/messages/0/tool_call_id'],
    [
      {
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'function', content: 'x' },
        ],
      },
      '/messages/1',
    ],
  ]
  for (const [patch, path] of cases) failsAt(t, C.ChatCompletionCreateParams, { ...base, ...patch }, path)
  failsAt(t, C.ChatCompletionCreateParams, { messages: base.messages }, '')
})

t.test('CompletionCreateParams accepts every prompt form and rejects bad fields at their path', async (t) => {
  const request: OpenAI.CompletionCreateParamsNonStreaming = {
    model: 'stories260K',
    prompt: 'Once upon a time',
    echo: true,
    logprobs: 5,
    best_of: 1,
    max_tokens: 0,
    n: 2,
    stop: ['.'],
    stream: false,
    stream_options: null,
    temperature: 2,
    top_p: 0,
    seed: 7,
    logit_bias: { '1': 0 },
    presence_penalty: 0,
    frequency_penalty: 0,
    user: 'u',
    suffix: null,
  }
  const streaming: OpenAI.CompletionCreateParamsStreaming = {
    model: 'm',
    prompt: [[1, 2], [3]],
    stream: true,
    stream_options: { include_usage: true },
  }
  const check = Compile(L.CompletionCreateParams)
  t.ok(check.Check(request))
  t.ok(check.Check(streaming))
  for (const prompt of ['', ['a', 'b'], [1, 2, 3], [[1], [2, 3]], null])
    t.ok(check.Check({ ...request, prompt }), JSON.stringify(prompt))
  t.ok(
    check.Check({ ...request, ...llamaExtensions, response_format: { type: 'json_object' }, n_probs: 3 }),
    'extensions and unknown fields',
  )
  const cases: [Record<string, unknown>, string][] = [
    [{ prompt: [] }, '/prompt'],
    [{ prompt: [[1], []] }, '/prompt/1'],
    [{ prompt: [1, -2] }, '/prompt/1'],
    [{ prompt: [1.5] }, '/prompt/0'],
    [{ prompt: ['a', 1] }, '/prompt/1'],
    [{ prompt: 5 }, '/prompt'],
    [{ logprobs: 6 }, '/logprobs'],
    [{ logprobs: true }, '/logprobs'],
    [{ best_of: 21 }, '/best_of'],
    [{ echo: 'yes' }, '/echo'],
    [{ max_tokens: -1 }, '/max_tokens'],
    [{ suffix: 5 }, '/suffix'],
    [{ n: 0 }, '/n'],
    [{ stop: ['1', '2', '3', '4', '5'] }, '/stop'],
    [{ temperature: 3 }, '/temperature'],
    [{ top_k: -5 }, '/top_k'],
    [{ min_p: -0.5 }, '/min_p'],
    [{ stream: 1 }, '/stream'],
  ]
  for (const [patch, path] of cases) failsAt(t, L.CompletionCreateParams, { ...request, ...patch }, path)
  failsAt(t, L.CompletionCreateParams, { model: 'm' }, '')
})

t.test('EmbeddingCreateParams enforces the OpenAI input limits', async (t) => {
  const request: OpenAI.EmbeddingCreateParams = {
    model: 'bge',
    input: ['a', 'b'],
    encoding_format: 'base64',
    dimensions: 384,
    user: 'u',
  }
  const check = Compile(E.EmbeddingCreateParams)
  t.ok(check.Check(request))
  const inputs = ['x', Array(2048).fill('x'), [0, 1, 2], Array(4096).fill(5), [[1], [2, 3]], Array(2048).fill([1])]
  for (const input of inputs) t.ok(check.Check({ model: 'm', input }), `${JSON.stringify(input).slice(0, 40)} passes`)
  t.ok(check.Check({ model: 'm', input: 'x', encoding_format: 'float', extra: true }), 'unknown fields')
  const cases: [Record<string, unknown>, string][] = [
    [{ input: '' }, '/input'],
    [{ input: [] }, '/input'],
    [{ input: ['a', ''] }, '/input/1'],
    [{ input: Array(2049).fill('x') }, '/input'],
    [{ input: Array(2049).fill([1]) }, '/input'],
    [{ input: [[1], []] }, '/input/1'],
    [{ input: [-1] }, '/input/0'],
    [{ input: 5 }, '/input'],
    [{ encoding_format: 'int8' }, '/encoding_format'],
    [{ dimensions: 0 }, '/dimensions'],
    [{ dimensions: 1.5 }, '/dimensions'],
    [{ model: null }, '/model'],
  ]
  for (const [patch, path] of cases) failsAt(t, E.EmbeddingCreateParams, { ...request, ...patch }, path)
})
