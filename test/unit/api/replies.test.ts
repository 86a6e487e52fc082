import t from 'tap'
import { Compile } from 'typebox/compile'
import type { GenerationEvent } from '../../../src/engine/types.js'
import { chatChunks, collectChat } from '../../../src/api/chat-reply.js'
import { collectCompletion, completionChunks } from '../../../src/api/completion-reply.js'
import type { ReplyHead } from '../../../src/api/reply-head.js'
import { ChatCompletion, ChatCompletionChunk } from '../../../src/schemas/chat.js'
import { Completion, CompletionChunk } from '../../../src/schemas/completions.js'

const head: ReplyHead = { id: 'chatcmpl-1', created: 1_700_000_000, model: 'm', system_fingerprint: 'fp_x' }
const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 }
const timings = {
  prompt_n: 5,
  prompt_ms: 1,
  predicted_n: 3,
  predicted_ms: 2,
  prompt_per_second: 5000,
  predicted_per_second: 1500,
}
const lp = (token: string) => ({
  token,
  logprob: -0.5,
  bytes: null,
  top_logprobs: [{ token, logprob: -0.5, bytes: null }],
})

async function* from(events: GenerationEvent[]): AsyncGenerator<GenerationEvent> {
  yield* events
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

const checkChunk = Compile(ChatCompletionChunk)
const checkChat = Compile(ChatCompletion)
const checkTextChunk = Compile(CompletionChunk)
const checkText = Compile(Completion)

const chatEvents: GenerationEvent[] = [
  { type: 'text', choice: 0, text: 'Hi', logprobs: [lp('Hi')] },
  { type: 'tool_call', choice: 1, index: 0, id: 'call_a', name: 'f', arguments: '' },
  { type: 'logprobs', choice: 1, logprobs: [lp('{')] },
  { type: 'tool_call', choice: 1, index: 0, arguments: '{"a":1}' },
  { type: 'finish', choice: 0, reason: 'length' },
  { type: 'finish', choice: 1, reason: 'tool_calls' },
  { type: 'usage', usage, timings },
]

t.test(
  'chatChunks() opens each choice with a role chunk, then one chunk per event, then the usage chunk',
  async (t) => {
    const chunks = await all(chatChunks(from(chatEvents), head, { n: 2, logprobs: false }))
    t.ok(
      chunks.every((c) => checkChunk.Check(c)),
      'every chunk validates',
    )
    t.ok(
      chunks.every((c) => c.id === head.id && c.object === 'chat.completion.chunk' && c.system_fingerprint === 'fp_x'),
      'one head throughout',
    )
    t.same(
      chunks.map((c) => c.choices[0] && [c.choices[0].index, c.choices[0].delta, c.choices[0].finish_reason]),
      [
        [0, { role: 'assistant', content: '' }, null],
        [1, { role: 'assistant', content: '' }, null],
        [0, { content: 'Hi' }, null],
        [
          1,
          { tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }] },
          null,
        ],
        [1, {}, null],
        [1, { tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }, null],
        [0, {}, 'length'],
        [1, {}, 'tool_calls'],
        undefined,
      ],
    )
    t.ok(
      chunks.slice(0, -1).every((c) => c.choices[0]?.logprobs === null),
      'logprobs null when not asked for',
    )
    t.same(chunks.at(-1), { ...chunks[0], choices: [], usage, timings })
  },
)

t.test('chatChunks() with logprobs puts each token on its chunk and an empty list elsewhere', async (t) => {
  const chunks = await all(chatChunks(from(chatEvents), head, { n: 2, logprobs: true }))
  t.same(
    chunks.slice(0, -1).map((c) => c.choices[0]?.logprobs?.content?.map((l) => l.token)),
    [[], [], ['Hi'], [], ['{'], [], [], []],
  )
})

t.test('collectChat() assembles text, tool calls, logprobs and finish per choice', async (t) => {
  const completion = await collectChat(from(chatEvents), head, { n: 2, logprobs: true })
  t.ok(checkChat.Check(completion), 'validates')
  t.same(completion, {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: 'm',
    system_fingerprint: 'fp_x',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hi', refusal: null },
        logprobs: { content: [lp('Hi')], refusal: null },
        finish_reason: 'length',
      },
      {
        index: 1,
        message: {
          role: 'assistant',
          content: null,
          refusal: null,
          tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        logprobs: { content: [lp('{')], refusal: null },
        finish_reason: 'tool_calls',
      },
    ],
    usage,
    timings,
  })
  const plain = await collectChat(from(chatEvents), head, { n: 2, logprobs: false })
  t.same(
    plain.choices.map((c) => c.logprobs),
    [null, null],
    'logprobs null when not asked for',
  )
})

// two prompts, two choices each: choice i continues prompt floor(i / 2)
const textEvents: GenerationEvent[] = [
  { type: 'text', choice: 2, text: ' there', logprobs: [lp(' there')] },
  { type: 'text', choice: 0, text: ', a', logprobs: [lp(','), lp(' a')] },
  { type: 'text', choice: 0, text: ' b', logprobs: [lp(' b')] },
  { type: 'finish', choice: 0, reason: 'length' },
  { type: 'finish', choice: 1, reason: 'stop' },
  { type: 'finish', choice: 2, reason: 'stop' },
  { type: 'finish', choice: 3, reason: 'stop' },
  { type: 'usage', usage, timings },
]
const textOptions = { prompts: ['Once', 'Hello'], n: 2, echo: true, topN: 1 }

t.test('completionChunks() echoes each prompt once and counts text_offset from its start', async (t) => {
  const chunks = await all(completionChunks(from(textEvents), { ...head, id: 'cmpl-1' }, textOptions))
  t.ok(
    chunks.every((c) => checkTextChunk.Check(c)),
    'every chunk validates',
  )
  t.same(
    chunks.map((c) => c.choices[0] && [c.choices[0].index, c.choices[0].text, c.choices[0].finish_reason]),
    [
      [2, 'Hello there', null],
      [0, 'Once, a', null],
      [0, ' b', null],
      [0, '', 'length'],
      [1, 'Once', 'stop'],
      [2, '', 'stop'],
      [3, 'Hello', 'stop'],
      undefined,
    ],
  )
  t.same(chunks[1]?.choices[0]?.logprobs, {
    tokens: [',', ' a'],
    token_logprobs: [-0.5, -0.5],
    top_logprobs: [{ ',': -0.5 }, { ' a': -0.5 }],
    text_offset: [4, 5],
  })
  t.same(chunks[2]?.choices[0]?.logprobs?.text_offset, [7], 'offsets continue across chunks')
  t.same(chunks[0]?.choices[0]?.logprobs?.text_offset, [5], 'from the end of its own prompt')
  t.same(chunks.at(-1)?.usage, usage)
})

t.test('collectCompletion() matches the chunks: echoed text, legacy logprobs, finish per choice', async (t) => {
  const completion = await collectCompletion(from(textEvents), { ...head, id: 'cmpl-1' }, textOptions)
  t.ok(checkText.Check(completion), 'validates')
  t.same(
    completion.choices.map((c) => [c.index, c.text, c.finish_reason, c.logprobs?.text_offset]),
    [
      [0, 'Once, a b', 'length', [4, 5, 7]],
      [1, 'Once', 'stop', []],
      [2, 'Hello there', 'stop', [5]],
      [3, 'Hello', 'stop', []],
    ],
  )
  const noLogprobs = await collectCompletion(from(textEvents), head, { ...textOptions, echo: false, topN: null })
  t.same(
    noLogprobs.choices.map((c) => [c.text, c.logprobs]),
    [
      [', a b', null],
      ['', null],
      [' there', null],
      ['', null],
    ],
  )
})
