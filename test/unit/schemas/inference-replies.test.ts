import t from 'tap'
import { Compile } from 'typebox/compile'
import type OpenAI from 'openai'
import type * as Engine from '../../../src/engine/types.js'
import * as C from '../../../src/schemas/chat.js'
import * as M from '../../../src/schemas/chat-messages.js'
import * as L from '../../../src/schemas/completions.js'
import * as E from '../../../src/schemas/embeddings.js'
import { ErrorResponse } from '../../../src/schemas/errors.js'
import { Health, HealthOk } from '../../../src/schemas/health.js'
import { Model, ModelPath, ModelsPage } from '../../../src/schemas/models.js'
import {
  DetokenizeParams,
  DetokenizeResponse,
  TokenizeParams,
  TokenizeResponse,
} from '../../../src/schemas/tokenize.js'
import { failsAt } from '../../helpers/schema-errors.js'

// Compile-time half: what we send must type as the SDK's object, and what the engine yields as what we send.
type Extends<A, B> = [A] extends [B] ? true : false
function same<X extends true>(_: X): void {}
same<Extends<C.ChatCompletion, OpenAI.Chat.ChatCompletion>>(true)
same<Extends<C.ChatCompletionChunk, OpenAI.Chat.ChatCompletionChunk>>(true)
same<Extends<L.Completion, OpenAI.Completion>>(true)
same<Extends<L.CompletionUsage, OpenAI.CompletionUsage>>(true)
same<Extends<OpenAI.CreateEmbeddingResponse, E.CreateEmbeddingResponse>>(true)
same<Extends<Model, OpenAI.Model>>(true)
// What the engine's events carry goes into replies as it is: it must pass reply validation (the reply shapers in
// src/api/ are typed with the schemas, so the rest is checked where they are compiled)
same<Extends<Engine.Timings, L.Timings>>(true)
same<Extends<Engine.Usage, L.CompletionUsage>>(true)
same<Extends<Engine.TokenLogprob, C.ChatCompletionTokenLogprob>>(true)
same<Extends<Engine.ToolCall, M.ChatCompletionMessageFunctionToolCall>>(true)

t.test('ChatCompletion with logprobs and a tool call validates, and a bad finish_reason does not', async (t) => {
  const completion: OpenAI.Chat.ChatCompletion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'stories260K',
    system_fingerprint: 'b1-wasm',
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        message: { role: 'assistant', content: 'Once', refusal: null },
        logprobs: {
          content: [
            {
              token: 'Once',
              logprob: -0.1,
              bytes: [79, 110, 99, 101],
              top_logprobs: [
                { token: 'Once', logprob: -0.1, bytes: [79, 110, 99, 101] },
                { token: 'One', logprob: -2.5, bytes: null },
              ],
            },
          ],
          refusal: null,
        },
      },
      {
        index: 1,
        finish_reason: 'tool_calls',
        logprobs: null,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 0 } },
  }
  const timings = {
    prompt_n: 5,
    prompt_ms: 1.5,
    prompt_per_second: 3333.3,
    predicted_n: 2,
    predicted_ms: 4,
    predicted_per_second: 500,
  }
  const check = Compile(C.ChatCompletion)
  t.ok(check.Check(completion))
  t.ok(check.Check({ ...completion, timings }), 'with llama.cpp timings')
  failsAt(t, C.ChatCompletion, { ...completion, timings: { ...timings, prompt_n: -1 } }, '/timings/prompt_n')
  failsAt(
    t,
    C.ChatCompletion,
    { ...completion, choices: [{ ...completion.choices[0], finish_reason: 'done' }] },
    '/choices/0/finish_reason',
  )
  failsAt(
    t,
    C.ChatCompletion,
    { ...completion, choices: [{ ...completion.choices[0], finish_reason: null }] },
    '/choices/0/finish_reason',
  )
  failsAt(
    t,
    C.ChatCompletion,
    {
      ...completion,
      choices: [{ ...completion.choices[0], logprobs: { content: [{ token: 'a', logprob: 0 }], refusal: null } }],
    },
    '/choices/0/logprobs/content/0',
  )
})

t.test('ChatCompletionChunk validates role, content and tool-call deltas and the usage chunk', async (t) => {
  const head = {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk' as const,
    created: 1_700_000_000,
    model: 'm',
    system_fingerprint: 'fp',
  }
  const chunks: OpenAI.Chat.ChatCompletionChunk[] = [
    {
      ...head,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    },
    {
      ...head,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
            ],
          },
          finish_reason: null,
        },
      ],
    },
    {
      ...head,
      choices: [
        { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish_reason: null },
      ],
    },
    { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }], usage: null },
    { ...head, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
  ]
  const check = Compile(C.ChatCompletionChunk)
  for (const chunk of chunks) t.ok(check.Check(chunk), JSON.stringify(chunk.choices))
  const timings = {
    prompt_n: 3,
    prompt_ms: 1,
    prompt_per_second: 3000,
    predicted_n: 4,
    predicted_ms: 8,
    predicted_per_second: 500,
    cache_n: 0,
  }
  t.ok(check.Check({ ...chunks[4], timings }), 'the last chunk with llama.cpp timings')
  failsAt(
    t,
    C.ChatCompletionChunk,
    { ...head, choices: [{ index: 0, delta: { tool_calls: [{ id: 'call_1' }] }, finish_reason: null }] },
    '/choices/0/delta/tool_calls/0',
  )
  failsAt(t, C.ChatCompletionChunk, { ...head, object: 'chat.completion', choices: [] }, '/object')
  failsAt(t, C.ChatCompletionChunk, { ...head, choices: [{ index: 0, delta: {} }] }, '/choices/0')
})

t.test('Completion and its chunks validate with legacy logprobs and timings', async (t) => {
  const completion: OpenAI.Completion = {
    id: 'cmpl-1',
    object: 'text_completion',
    created: 1_700_000_000,
    model: 'm',
    system_fingerprint: 'fp',
    choices: [
      {
        index: 0,
        text: ' there was',
        finish_reason: 'length',
        logprobs: {
          tokens: [' there', ' was'],
          token_logprobs: [-0.5, -0.25],
          top_logprobs: [{ ' there': -0.5 }, { ' was': -0.25, ' is': -3 }],
          text_offset: [16, 22],
        },
      },
    ],
    usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
  }
  const check = Compile(L.Completion)
  t.ok(check.Check(completion))
  t.ok(
    check.Check({
      ...completion,
      timings: {
        prompt_n: 4,
        prompt_ms: 2,
        prompt_per_second: 2000,
        predicted_n: 2,
        predicted_ms: 2,
        predicted_per_second: 1000,
      },
    }),
  )
  failsAt(
    t,
    L.Completion,
    { ...completion, choices: [{ ...completion.choices[0], finish_reason: 'tool_calls' }] },
    '/choices/0/finish_reason',
  )
  failsAt(
    t,
    L.Completion,
    { ...completion, choices: [{ ...completion.choices[0], logprobs: { tokens: [1] } }] },
    '/choices/0/logprobs/tokens/0',
  )
  const chunk = Compile(L.CompletionChunk)
  t.ok(
    chunk.Check({
      ...completion,
      choices: [{ index: 0, text: ' there', logprobs: null, finish_reason: null }],
      usage: null,
    }),
  )
  t.ok(chunk.Check({ ...completion, choices: [] }), 'the usage chunk')
  failsAt(t, L.CompletionChunk, { ...completion, object: 'chat.completion.chunk' }, '/object')
})

t.test('CreateEmbeddingResponse carries float or base64 vectors', async (t) => {
  const reply = {
    object: 'list',
    model: 'bge',
    usage: { prompt_tokens: 3, total_tokens: 3 },
    data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2] }],
  }
  const check = Compile(E.CreateEmbeddingResponse)
  t.ok(check.Check(reply))
  t.ok(check.Check({ ...reply, data: [{ object: 'embedding', index: 0, embedding: 'zczMPc3MTL4=' }] }))
  failsAt(
    t,
    E.CreateEmbeddingResponse,
    { ...reply, data: [{ object: 'embedding', index: 0, embedding: [0.1, '0.2'] }] },
    '/data/0/embedding',
  )
  failsAt(t, E.CreateEmbeddingResponse, { ...reply, usage: { prompt_tokens: 3 } }, '/usage')
})

t.test('Model, ModelsPage and ModelPath', async (t) => {
  const model: OpenAI.Model = {
    id: 'org/repo:stories260K.gguf',
    object: 'model',
    created: 1_700_000_000,
    owned_by: 'oxillama',
  }
  t.ok(Compile(Model).Check(model))
  t.ok(Compile(ModelsPage).Check({ object: 'list', data: [model] }))
  failsAt(t, ModelsPage, { object: 'list', data: [{ ...model, object: 'engine' }] }, '/data/0/object')
  t.ok(Compile(ModelPath).Check({ model: 'org/repo' }), 'ids may contain a slash')
  failsAt(t, ModelPath, { model: '' }, '/model')
})

t.test('tokenize and detokenize bodies and replies', async (t) => {
  const tokenize = Compile(TokenizeParams)
  t.ok(tokenize.Check({ content: 'Hello', add_special: true, with_pieces: true }))
  t.ok(tokenize.Check({ content: '', parse_special: false }), 'empty content and unknown fields')
  failsAt(t, TokenizeParams, { content: 5 }, '/content')
  failsAt(t, TokenizeParams, { content: 'x', with_pieces: 'yes' }, '/with_pieces')
  failsAt(t, TokenizeParams, {}, '')
  const reply = Compile(TokenizeResponse)
  t.ok(reply.Check({ tokens: [1, 15043] }))
  t.ok(
    reply.Check({
      tokens: [
        { id: 1, piece: '<s>' },
        { id: 243, piece: [240] },
      ],
    }),
    'pieces, as text or bytes',
  )
  t.ok(reply.Check({ tokens: [] }))
  failsAt(t, TokenizeResponse, { tokens: [{ id: 1 }] }, '/tokens')
  t.ok(Compile(DetokenizeParams).Check({ tokens: [1, 2, 3] }))
  failsAt(t, DetokenizeParams, { tokens: [1, -2] }, '/tokens/1')
  failsAt(t, DetokenizeParams, { tokens: 'abc' }, '/tokens')
  t.ok(Compile(DetokenizeResponse).Check({ content: 'Hello' }))
})

t.test('Health and ErrorResponse', async (t) => {
  const health = Compile(Health)
  const lane = { running: 0, queued: 0 }
  const counters = {
    slots_total: 1,
    slots_busy: 1,
    queued: 2,
    lanes: { interactive: { running: 1, queued: 1 }, background: { running: 0, queued: 1 }, batch: lane },
    restarts: 0,
  }
  t.ok(health.Check({ status: 'ok', ...counters }))
  t.ok(health.Check({ status: 'restarting', ...counters }))
  t.notOk(health.Check({ status: 'ok' }), 'ok carries the counters')
  t.ok(health.Check({ status: 'loading' }))
  t.ok(health.Check({ status: 'error', error: 'bad file' }))
  t.notOk(health.Check({ status: 'broken' }))
  failsAt(
    t,
    HealthOk,
    { status: 'ok', ...counters, lanes: { ...counters.lanes, batch: { running: 0, queued: -1 } } },
    '/lanes/batch/queued',
  )
  const error = Compile(ErrorResponse)
  t.ok(
    error.Check({ error: { message: 'm', type: 'invalid_request_error', param: 'messages[0].content', code: null } }),
  )
  failsAt(t, ErrorResponse, { error: { message: 'm', type: 'invalid_request_error', code: null } }, '/error')
  failsAt(t, ErrorResponse, { error: { message: 'm', type: 'server_error', param: null, code: 500 } }, '/error/code')
})
