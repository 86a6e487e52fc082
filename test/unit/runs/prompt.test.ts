import t from 'tap'
import type { Engine } from '../../../src/engine/engine.js'
import { buildRunPrompt, type RunPrompt } from '../../../src/runs/prompt.js'
import type { Message } from '../../../src/schemas/messages.js'
import type { RunStep } from '../../../src/schemas/run-steps.js'
import type { Run } from '../../../src/schemas/runs.js'
import type { Store } from '../../../src/store/store.js'

// One token per word, so budgets are easy to count; the prompt builder adds 8 tokens per message
const PER_MESSAGE = 8
const words = (n: number, word = 'w') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ')

function fakeEngine(nCtx: number): Engine {
  const tokenize = (text: string) =>
    text
      .split(/\s+/)
      .filter(Boolean)
      .map(() => 1)
  return { tokenizer: { tokenize }, model: { nCtx } } as unknown as Engine
}

function message(id: string, text: string, extra: Partial<Message> = {}): Message {
  return {
    id,
    role: 'user',
    run_id: null,
    status: 'completed',
    content: [{ type: 'text', text: { value: text, annotations: [] } }],
    ...extra,
  } as Message
}

// A store that pages messages 100 at a time, as the real one does
function fakeStore(messages: Message[], steps: RunStep[] = []): Store {
  const list = async (_thread: string, query: { limit?: number; after?: string } = {}) => {
    const start = query.after ? messages.findIndex((m) => m.id === query.after) + 1 : 0
    const data = messages.slice(start, start + (query.limit ?? 20))
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: start + data.length < messages.length,
    }
  }
  const stepList = async () => ({ object: 'list', data: steps, first_id: null, last_id: null, has_more: false })
  return { messages: { list }, steps: { list: stepList } } as unknown as Store
}

function run(extra: Partial<Run> = {}): Run {
  return {
    id: 'run_1',
    thread_id: 'thread_1',
    instructions: 'be brief', // 2 tokens
    tools: [],
    usage: null,
    max_prompt_tokens: null,
    max_completion_tokens: null,
    truncation_strategy: null,
    response_format: null,
    tool_choice: null,
    parallel_tool_calls: true,
    temperature: null,
    top_p: null,
    ...extra,
  } as Run
}

function ready(prompt: RunPrompt) {
  if (prompt.kind !== 'ready') throw new Error(`expected a prompt, got ${prompt.reason}`)
  return prompt
}

const SYSTEM = PER_MESSAGE + 2
const turns = (count: number, size: number) =>
  Array.from({ length: count }, (_, i) => message(`m${i}`, words(size, `t${i}_`)))
const textOf = (m: Message) => (m.content[0] as { text: { value: string } }).text.value
const contents = (prompt: RunPrompt) => ready(prompt).request.messages.map((m) => m.content)

t.test('a thread that fits is sent whole: instructions first, then the messages in order', async (t) => {
  const thread = turns(3, 3)
  const prompt = ready(await buildRunPrompt(fakeStore(thread), fakeEngine(1000), run()))
  t.same(
    prompt.request.messages.map((m) => [m.role, m.content]),
    [['system', 'be brief'], ...thread.map((m) => ['user', textOf(m)])],
  )
  t.equal(prompt.estimatedTokens, SYSTEM + 3 * (PER_MESSAGE + 3))
  t.equal(prompt.request.max_tokens, null)
})

t.test('auto truncation drops the oldest messages until the prompt fits beside the reply reserve', async (t) => {
  // nCtx 100: a quarter (25) is kept for the reply, so 75 for the prompt: instructions (10) and three 18-token turns
  const thread = turns(6, 10)
  const prompt = ready(await buildRunPrompt(fakeStore(thread), fakeEngine(100), run()))
  t.same(contents(prompt), ['be brief', ...thread.slice(3).map(textOf)], 'the three newest turns')
  t.equal(prompt.estimatedTokens, SYSTEM + 3 * 18)
})

t.test('the newest message is always kept, even when it alone is over the context', async (t) => {
  const thread = turns(3, 200)
  const prompt = ready(await buildRunPrompt(fakeStore(thread), fakeEngine(100), run()))
  t.equal(prompt.request.messages.length, 2, 'instructions and the newest message')
  t.equal(prompt.request.messages[1]?.content, words(200, 't2_'))
})

t.test(
  'max_prompt_tokens truncates further, counts earlier turns, and ends the run when even one message is over',
  async (t) => {
    const thread = turns(4, 10) // 18 tokens each
    const fits = ready(await buildRunPrompt(fakeStore(thread), fakeEngine(1000), run({ max_prompt_tokens: 30 })))
    t.equal(fits.request.messages.length, 2, 'instructions (10) and one turn (18) fit in 30')
    t.same(await buildRunPrompt(fakeStore(thread), fakeEngine(1000), run({ max_prompt_tokens: 20 })), {
      kind: 'incomplete',
      reason: 'max_prompt_tokens',
    })
    const used = { prompt_tokens: 10, completion_tokens: 0, total_tokens: 10 }
    t.same(
      await buildRunPrompt(fakeStore(thread), fakeEngine(1000), run({ max_prompt_tokens: 30, usage: used })),
      { kind: 'incomplete', reason: 'max_prompt_tokens' },
      'the prompt tokens of earlier model calls of the run count against the limit',
    )
  },
)

t.test('truncation_strategy last_messages keeps that many newest messages', async (t) => {
  const thread = turns(5, 2)
  const strategy = { type: 'last_messages' as const, last_messages: 2 }
  const prompt = ready(
    await buildRunPrompt(fakeStore(thread), fakeEngine(1000), run({ truncation_strategy: strategy })),
  )
  t.same(contents(prompt), ['be brief', words(2, 't3_'), words(2, 't4_')])
})

t.test(
  'max_completion_tokens caps the reply by what the run has left, and ends the run when none is left',
  async (t) => {
    const thread = turns(1, 2)
    const used = (completion_tokens: number) => ({
      prompt_tokens: 0,
      completion_tokens,
      total_tokens: completion_tokens,
    })
    const prompt = ready(
      await buildRunPrompt(fakeStore(thread), fakeEngine(1000), run({ max_completion_tokens: 100, usage: used(40) })),
    )
    t.equal(prompt.request.max_tokens, 60)
    t.same(
      await buildRunPrompt(fakeStore(thread), fakeEngine(1000), run({ max_completion_tokens: 100, usage: used(100) })),
      {
        kind: 'incomplete',
        reason: 'max_completion_tokens',
      },
    )
  },
)

t.test("the run's own in-progress answer is left out, and threads longer than a page are read whole", async (t) => {
  const thread = [
    ...turns(150, 1),
    message('answer', 'partial', { role: 'assistant', run_id: 'run_1', status: 'in_progress' }),
  ]
  const prompt = ready(await buildRunPrompt(fakeStore(thread), fakeEngine(100_000), run({ instructions: '' })))
  t.equal(prompt.request.messages.length, 150)
  t.equal(prompt.request.messages.at(-1)?.content, 't149_0')
})

t.test("the run's answered tool calls follow the thread, and a forced tool_choice is lifted after them", async (t) => {
  const tool = { type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }
  const call = (output: string | null) => ({
    id: 'call_1',
    type: 'function' as const,
    function: { name: 'f', arguments: '{}', output },
  })
  const step = (output: string | null) =>
    ({ step_details: { type: 'tool_calls', tool_calls: [call(output)] } }) as unknown as RunStep
  const forced = run({ tools: [tool], tool_choice: 'required', parallel_tool_calls: false })
  const before = ready(await buildRunPrompt(fakeStore(turns(1, 1), [step(null)]), fakeEngine(1000), forced))
  t.equal(before.request.tool_choice, 'required', 'no outputs yet: the choice holds')
  t.equal(before.request.messages.length, 2, 'an unanswered call is not sent')
  const after = ready(await buildRunPrompt(fakeStore(turns(1, 1), [step('sunny')]), fakeEngine(1000), forced))
  t.equal(after.request.tool_choice, 'auto')
  t.same(
    after.request.messages.slice(2).map((m) => [m.role, m.content, m.tool_call_id ?? null]),
    [
      ['assistant', null, null],
      ['tool', 'sunny', 'call_1'],
    ],
  )
  t.same(after.request.messages[2]?.tool_calls, [
    { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } },
  ])
  t.equal(after.request.parallel_tool_calls, false)
})
