import t from 'tap'
import { Compile } from 'typebox/compile'
import { draftResponse } from '../../../src/api/responses-context.js'
import { toChatMessages, toEngineResponse, toResponseItems } from '../../../src/api/responses-input.js'
import { replayEvents, responseEvents, type ResponseStreamEvent } from '../../../src/api/responses-reply.js'
import type { ReasoningEvent } from '../../../src/engine/generation/reasoning.js'
import type { GenerationEvent } from '../../../src/engine/types.js'
import { Response } from '../../../src/schemas/responses.js'
import { ResponseStreamEvent as ResponseStreamEventSchema } from '../../../src/schemas/responses-stream.js'
import { ResponseEventLog } from '../../../src/api/response-event-log.js'

const timings = {
  prompt_n: 2,
  prompt_ms: 1,
  predicted_n: 3,
  predicted_ms: 2,
  prompt_per_second: 1,
  predicted_per_second: 1,
}
// the response as POST /v1/responses drafts it before generation
const draft = draftResponse({ model: 'm', input: 'Hi' }, [])
const checkResponse = Compile(Response)

async function events(list: GenerationEvent[]): Promise<ResponseStreamEvent[]> {
  async function* from(): AsyncGenerator<GenerationEvent> {
    yield* list
  }
  const out: ResponseStreamEvent[] = []
  for await (const event of responseEvents(from(), draft, { logprobs: false })) out.push(event)
  return out
}

t.test('text then a tool call: items open and close in turn, the last event holds both', async (t) => {
  const out = await events([
    { type: 'text', choice: 0, text: 'He' },
    { type: 'text', choice: 0, text: 'llo' },
    { type: 'tool_call', choice: 0, index: 0, id: 'call_1', name: 'f', arguments: '{"a"' },
    { type: 'tool_call', choice: 0, index: 0, arguments: ':1}' },
    { type: 'finish', choice: 0, reason: 'tool_calls' },
    { type: 'usage', usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 }, timings },
  ])
  t.same(
    out.map((e) => e.type),
    [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ],
  )
  const last = out.at(-1)
  if (last?.type !== 'response.completed') return t.fail('completed last')
  t.ok(checkResponse.Check(last.response), 'the final response matches its schema')
  t.equal(last.response.output.length, 2)
  t.match(last.response.output[0], { type: 'message', status: 'completed', content: [{ text: 'Hello' }] })
  t.match(last.response.output[1], { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' })
  t.same(last.response.usage?.input_tokens_details, { cached_tokens: 8, cache_write_tokens: 0 })
  t.same(
    [...replayEvents(last.response)].map((e) => e.type),
    out.map((e) => e.type).filter((type, i, all) => !(type.endsWith('.delta') && all[i - 1] === type)),
    'a replay has the same sequence, one delta per item',
  )
  const added = out[2]
  t.match(added, { type: 'response.output_item.added', item: { content: [], status: 'in_progress' } })
})

t.test(
  'every event, live or replayed, numbered, matches its stream event schema; the log rebuilds the output',
  async (t) => {
    const out = await events([
      { type: 'text', choice: 0, text: 'He' },
      { type: 'text', choice: 0, text: 'llo' },
      { type: 'tool_call', choice: 0, index: 0, id: 'call_1', name: 'f', arguments: '{"a"' },
      { type: 'tool_call', choice: 0, index: 0, arguments: ':1}' },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
      { type: 'usage', usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 }, timings },
    ])
    const check = Compile(ResponseStreamEventSchema)
    const log = new ResponseEventLog()
    for (const event of out) log.push(log.number(event))
    const numbered = log.slice(0)
    t.same(
      numbered.filter((event) => !check.Check(event)),
      [],
      'the live events',
    )
    const replayed = [
      ...replayEvents(
        numbered.at(-1)?.type === 'response.completed' ? (numbered.at(-1) as { response: Response }).response : draft,
      ),
    ]
    t.same(
      replayed.map((event, i) => ({ ...event, sequence_number: i })).filter((event) => !check.Check(event)),
      [],
      'the replayed events',
    )
    t.notOk(check.Check({ ...numbered[0], sequence_number: -1 }), 'a sequence number is never negative')
    const last = numbered.at(-1)
    if (last?.type !== 'response.completed') return t.fail('completed last')
    t.same(log.output, last.response.output, 'the output the events built is the final output')
    t.same(new ResponseEventLog(numbered).output, last.response.output, 'so does a log made from stored events')
    const followed: number[] = []
    for await (const event of log.follow(12)) {
      followed.push(event.sequence_number)
      if (followed.length === 2) log.end()
    }
    t.same(followed, [13, 14], 'follow() starts after the given number and ends with the log')
  },
)

t.test('a token cap makes the response and its item incomplete', async (t) => {
  const out = await events([
    { type: 'text', choice: 0, text: 'x' },
    { type: 'finish', choice: 0, reason: 'length' },
    { type: 'usage', usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 }, timings },
  ])
  const last = out.at(-1)
  if (last?.type !== 'response.incomplete') return t.fail('incomplete last')
  t.same(last.response.incomplete_details, { reason: 'max_output_tokens' })
  t.equal(last.response.output[0]?.status, 'incomplete')
  t.equal(last.response.completed_at, null)
})

t.test('input items become chat messages: calls join the assistant turn, outputs become tool messages', (t) => {
  const items = toResponseItems([
    { role: 'user', content: 'hi' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok', annotations: [] }] },
    { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'done' },
  ])
  t.ok(items.every((item) => typeof item.id === 'string' && item.status === 'completed'))
  t.same(toChatMessages('be kind', items), [
    { role: 'system', content: 'be kind' },
    { role: 'user', content: 'hi' },
    {
      role: 'assistant',
      content: 'ok',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'done' },
  ])
  t.throws(() => toChatMessages(null, items.slice(0, 3)), { param: 'input', message: /call_1/ })
  t.end()
})

t.test('tool_choice and text.format take their Responses shapes', (t) => {
  const tool = { type: 'function' as const, name: 'f', parameters: { type: 'object' }, strict: true }
  const body = { model: 'm', tools: [tool], tool_choice: { type: 'function' as const, name: 'f' } }
  t.match(toEngineResponse(body, []), {
    tool_choice: { type: 'function', function: { name: 'f' } },
    tools: [{ type: 'function', function: { name: 'f', strict: true } }],
  })
  const allowed = toEngineResponse(
    { model: 'm', tools: [tool], tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ name: 'f' }] } },
    [],
  )
  t.equal(allowed.tool_choice, 'required')
  t.throws(() => toEngineResponse({ model: 'm', tools: [tool], tool_choice: { type: 'mcp' } }, []), {
    param: 'tool_choice.type',
    message: /mcp/,
  })
  const format = toEngineResponse(
    { model: 'm', text: { format: { type: 'json_schema', name: 'n', schema: { type: 'object' } } } },
    [],
  )
  t.same(format.response_format, {
    type: 'json_schema',
    json_schema: { name: 'n', schema: { type: 'object' }, strict: undefined },
  })
  t.throws(() => toEngineResponse({ model: 'm', include: ['a', 'message.output_text.logprobs'] }, []), {
    param: 'include',
    message: /'a'|: a\./,
  })
  t.end()
})

t.test(
  'reasoning then text: a reasoning item before the message, reasoning_tokens counted, events valid',
  async (t) => {
    async function* from(): AsyncGenerator<GenerationEvent | ReasoningEvent> {
      yield { type: 'reasoning', choice: 0, text: 'thin', tokens: 2 }
      yield { type: 'reasoning', choice: 0, text: 'king', tokens: 2 }
      yield { type: 'text', choice: 0, text: 'Hi' }
      yield { type: 'finish', choice: 0, reason: 'stop' }
      yield { type: 'usage', usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }, timings }
    }
    const out: ResponseStreamEvent[] = []
    for await (const event of responseEvents(from(), draft, { logprobs: false })) out.push(event)
    t.same(
      out.map((e) => e.type),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.reasoning_text.delta',
        'response.reasoning_text.delta',
        'response.reasoning_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    )
    const last = out.at(-1)
    if (last?.type !== 'response.completed') return t.fail('completed last')
    t.ok(checkResponse.Check(last.response), 'the final response matches its schema')
    t.match(last.response.output[0], {
      type: 'reasoning',
      id: /^rs_/,
      summary: [],
      content: [{ type: 'reasoning_text', text: 'thinking' }],
      status: 'completed',
    })
    t.match(last.response.output[1], { type: 'message', content: [{ text: 'Hi' }] })
    t.equal(last.response.usage?.output_tokens_details.reasoning_tokens, 4)
    const check = Compile(ResponseStreamEventSchema)
    const log = new ResponseEventLog()
    for (const event of out) log.push(log.number(event))
    t.same(
      log.slice(0).filter((event) => !check.Check(event)),
      [],
      'the live events match their schemas',
    )
    t.same(log.output, last.response.output, 'the event log rebuilds the output')
    const replayed = [...replayEvents(last.response)]
    t.same(
      replayed.map((event, i) => ({ ...event, sequence_number: i })).filter((event) => !check.Check(event)),
      [],
      'the replayed events match their schemas',
    )
    t.same(new ResponseEventLog(replayed.map((e, i) => ({ ...e, sequence_number: i }))).output, last.response.output)
  },
)
