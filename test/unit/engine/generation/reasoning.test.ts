import t from 'tap'
import {
  ReasoningSplitter,
  splitReasoning,
  templateOpensThinking,
  type ReasoningEvent,
} from '../../../../src/engine/generation/reasoning.js'
import type { GenerationEvent } from '../../../../src/engine/types.js'

/** Feeds pieces through one splitter and joins what came out as reasoning and as answer. */
function split(pieces: string[], forcedOpen = false): { reasoning: string; answer: string } {
  const splitter = new ReasoningSplitter(forcedOpen)
  let reasoning = ''
  let answer = ''
  for (const piece of [...pieces.map((p) => splitter.push(p)), splitter.flush()]) {
    reasoning += piece.reasoning
    answer += piece.answer
  }
  return { reasoning, answer }
}

t.test('reasoning between <think> and </think> at the start, tags split across pieces', async (t) => {
  t.same(split(['<think>', 'plan', '</think>', '\n\nHello']), { reasoning: 'plan', answer: 'Hello' })
  t.same(split(['\n<th', 'ink>pl', 'an</', 'thi', 'nk>', '\n', ' Hi', ' there']), {
    reasoning: 'plan',
    answer: 'Hi there',
  })
  t.same(split(['<think>a < b </thinking', ' done</think>ok']), { reasoning: 'a < b </thinking done', answer: 'ok' })
})

t.test('no tags: everything is answer, even a late <think>', async (t) => {
  t.same(split(['Once', ' upon', ' a time']), { reasoning: '', answer: 'Once upon a time' })
  t.same(split(['Hi <think>x</think>']), { reasoning: '', answer: 'Hi <think>x</think>' })
  t.same(split(['<', 'b>bold']), { reasoning: '', answer: '<b>bold' })
  t.same(split(['<thi']), { reasoning: '', answer: '<thi' }, 'a partial tag at the end is answer')
})

t.test('forced open: the output is reasoning until </think>', async (t) => {
  t.same(split(['step one', '</think>', 'answer'], true), { reasoning: 'step one', answer: 'answer' })
  t.same(split(['<think>x'], true), { reasoning: '<think>x', answer: '' }, 'no second opening tag is expected')
})

t.test('unterminated reasoning stays reasoning, a held partial tag included', async (t) => {
  t.same(split(['<think>', 'still', ' going </thi']), { reasoning: 'still going </thi', answer: '' })
  t.same(split(['a', 'b'], true), { reasoning: 'ab', answer: '' })
})

t.test('splitReasoning counts a token per text event that reasoned and keeps answer logprobs', async (t) => {
  const logprobs = [{ token: 'Hi', logprob: -1, bytes: null, top_logprobs: [] }]
  async function* events(): AsyncGenerator<GenerationEvent> {
    for (const text of ['<think>', 'a', 'b', '</think>']) yield { type: 'text', choice: 0, text }
    yield { type: 'text', choice: 0, text: 'Hi', logprobs }
    yield { type: 'finish', choice: 0, reason: 'stop' }
  }
  const out: (GenerationEvent | ReasoningEvent)[] = []
  for await (const event of splitReasoning(events(), false)) out.push(event)
  const reasoning = out.filter((e): e is ReasoningEvent => e.type === 'reasoning')
  t.equal(reasoning.map((e) => e.text).join(''), 'ab')
  t.equal(
    reasoning.reduce((n, e) => n + e.tokens, 0),
    4,
  )
  t.same(
    out.filter((e) => e.type === 'text'),
    [{ type: 'text', choice: 0, text: 'Hi', logprobs }],
  )
  t.equal(out.at(-1)?.type, 'finish')
})

t.test('templateOpensThinking reads the generation prompt block', async (t) => {
  t.ok(templateOpensThinking("{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n<think>\\n' }}{% endif %}"))
  t.notOk(
    templateOpensThinking(
      "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is false %}" +
        "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}",
    ),
    "Qwen3's closed empty block is not forced open",
  )
  t.notOk(templateOpensThinking('chatml'))
  t.notOk(templateOpensThinking("{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"))
})

t.test('held text keeps its log probabilities for the answer it becomes', async (t) => {
  const lp = (token: string) => ({ token, logprob: -1, bytes: null, top_logprobs: [] })
  async function* events(): AsyncGenerator<GenerationEvent> {
    yield { type: 'text', choice: 0, text: ' ', logprobs: [lp(' ')] }
    yield { type: 'text', choice: 0, text: '<', logprobs: [lp('<')] }
    yield { type: 'text', choice: 0, text: 'b>', logprobs: [lp('b>')] }
    yield { type: 'finish', choice: 0, reason: 'stop' }
  }
  const out: (GenerationEvent | ReasoningEvent)[] = []
  for await (const event of splitReasoning(events(), false)) out.push(event)
  t.same(out, [
    { type: 'text', choice: 0, text: ' <b>', logprobs: [lp(' '), lp('<'), lp('b>')] },
    { type: 'finish', choice: 0, reason: 'stop' },
  ])
})
