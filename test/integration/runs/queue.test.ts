import t from 'tap'
import { collect, startTestEngine } from '../../helpers/engine.js'
import { runInit, startRunStack } from '../../helpers/runs.js'

const engine = await startTestEngine({ parallel: 2 })
// stories260K never ends a chat turn by itself: a small JSON answer ends it (finish_reason stop) quickly
const shortAnswer = {
  response_format: {
    type: 'json_schema',
    json_schema: {
      name: 'answer',
      schema: { type: 'object', properties: { answer: { type: 'string', maxLength: 16 } }, required: ['answer'] },
    },
  },
}
t.teardown(() => engine.close())

t.test(
  'a text run goes queued, in_progress, completed, with the contract event order and a stored answer',
  async (t) => {
    const stack = await startRunStack(engine)
    t.teardown(() => stack.close())
    const { store, queue, events } = stack
    const assistant = await store.assistants.create({ model: 'stories' })
    const thread = await store.threads.create({ messages: [{ role: 'user', content: 'Tell me a story' }] })
    const run = await store.runs.create(thread.id, runInit(assistant.id, shortAnswer))
    const stream = events.subscribe(run.id)
    queue.enqueue(run)
    const names = (await collect(stream)).map((e) => e.event)
    t.same(names.slice(0, 5), [
      'thread.run.in_progress',
      'thread.run.step.created',
      'thread.run.step.in_progress',
      'thread.message.created',
      'thread.message.in_progress',
    ])
    t.ok(names.filter((n) => n === 'thread.message.delta').length > 3, 'text deltas')
    t.same(names.slice(-3), ['thread.message.completed', 'thread.run.step.completed', 'thread.run.completed'])
    const done = await store.runs.get(thread.id, run.id)
    t.equal(done?.status, 'completed')
    t.ok(done?.usage && done.usage.completion_tokens > 0, 'usage recorded')
    const messages = await store.messages.list(thread.id, { order: 'asc' })
    const answer = messages.data[1]
    t.equal(answer?.role, 'assistant')
    t.equal(answer?.run_id, run.id)
    t.equal(answer?.status, 'completed')
    t.ok(answer?.content[0]?.type === 'text' && answer.content[0].text.value.length > 0, 'answer text stored')
  },
)

t.test(
  'a forced function tool makes requires_action; submitted outputs continue the run into a new message',
  async (t) => {
    const stack = await startRunStack(engine)
    t.teardown(() => stack.close())
    const { store, queue, events } = stack
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string', enum: ['Paris', 'Rome'] } },
            required: ['city'],
          },
        },
      },
    ]
    const assistant = await store.assistants.create({ model: 'stories', tools })
    const thread = await store.threads.create({ messages: [{ role: 'user', content: 'Weather in Rome?' }] })
    const run = await store.runs.create(
      thread.id,
      runInit(assistant.id, {
        tools,
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        ...shortAnswer,
      }),
    )
    const first = events.subscribe(run.id)
    queue.enqueue(run)
    const firstNames = (await collect(first)).map((e) => e.event)
    t.equal(firstNames.at(-1), 'thread.run.requires_action')
    t.ok(firstNames.includes('thread.run.step.delta'))
    const waiting = await store.runs.get(thread.id, run.id)
    const call = waiting?.required_action?.submit_tool_outputs.tool_calls[0]
    t.equal(call?.function.name, 'get_weather')
    t.ok(['Paris', 'Rome'].includes((JSON.parse(call?.function.arguments ?? '{}') as { city: string }).city))
    await t.rejects(
      queue.submitToolOutputs(thread.id, run.id, []),
      { name: 'RunStateError' },
      'every call needs an output',
    )
    const second = events.subscribe(run.id)
    await queue.submitToolOutputs(thread.id, run.id, [{ tool_call_id: call?.id, output: '22C and sunny' }])
    const secondNames = (await collect(second)).map((e) => e.event)
    t.same(secondNames.slice(0, 3), ['thread.run.step.completed', 'thread.run.queued', 'thread.run.in_progress'])
    t.equal(secondNames.at(-1), 'thread.run.completed')
    const steps = await store.steps.list({ thread_id: thread.id, run_id: run.id }, { order: 'asc' })
    t.same(
      steps.data.map((s) => [s.type, s.status]),
      [
        ['tool_calls', 'completed'],
        ['message_creation', 'completed'],
      ],
    )
    const details = steps.data[0]?.step_details
    t.equal(
      details?.type === 'tool_calls' && details.tool_calls[0]?.type === 'function'
        ? details.tool_calls[0].function.output
        : null,
      '22C and sunny',
    )
  },
)

t.test(
  'cancel: a queued run is cancelled at once, a generating one within a decode step with its partial message',
  async (t) => {
    const stack = await startRunStack(engine)
    t.teardown(() => stack.close())
    const { store, queue, events } = stack
    const assistant = await store.assistants.create({ model: 'stories' })
    const threads = await Promise.all(
      [1, 2, 3].map(() => store.threads.create({ messages: [{ role: 'user', content: 'Once' }] })),
    )
    const runs = await Promise.all(
      threads.map((th) => store.runs.create(th.id, runInit(assistant.id, { max_completion_tokens: 1500 }))),
    )
    const streams = runs.map((r) => events.subscribe(r.id))
    for (const r of runs) queue.enqueue(r)
    t.same(engine.stats.lanes.background, { running: 2, queued: 1 }, 'two slots, one run waits in the background lane')
    const queuedRun = runs[2]!
    const cancelledQueued = await queue.cancel(queuedRun.thread_id, queuedRun.id)
    t.equal(cancelledQueued.status, 'cancelled', 'queued becomes cancelled at once')
    const target = runs[0]!
    // read until the first text delta without leaving the stream (a for-await break would unsubscribe)
    for (
      let e = await streams[0]!.next();
      !e.done && e.value.event !== 'thread.message.delta';
      e = await streams[0]!.next()
    );
    const cancelling = await queue.cancel(target.thread_id, target.id)
    t.equal(cancelling.status, 'cancelling')
    const rest = (await collect(streams[0]!)).map((e) => e.event)
    t.same(
      rest.slice(-3),
      ['thread.message.incomplete', 'thread.run.step.cancelled', 'thread.run.cancelled'],
      'ends cancelled',
    )
    t.ok(rest.includes('thread.run.cancelling'))
    t.equal(rest.at(-1), 'thread.run.cancelled')
    const msgs = await store.messages.list(target.thread_id, { run_id: target.id })
    t.equal(msgs.data[0]?.status, 'incomplete', 'partial message kept, marked incomplete')
    t.ok(
      msgs.data[0]?.content[0]?.type === 'text' && msgs.data[0].content[0].text.value.length > 0,
      'with its partial text',
    )
    await t.rejects(
      queue.cancel(target.thread_id, target.id),
      { name: 'RunStateError' },
      'a cancelled run cannot be cancelled again',
    )
    await queue.cancel(runs[1]!.thread_id, runs[1]!.id)
    await queue.idle()
    t.equal(engine.stats.active, 0, 'slots freed')
  },
)

t.test('restart recovery: queued runs run again, an in-progress run fails with last_error', async (t) => {
  const stack = await startRunStack(engine)
  const { store } = stack
  const assistant = await store.assistants.create({ model: 'stories' })
  const a = await store.threads.create({ messages: [{ role: 'user', content: 'Once' }] })
  const b = await store.threads.create({ messages: [{ role: 'user', content: 'Once' }] })
  const queuedRun = await store.runs.create(a.id, runInit(assistant.id, shortAnswer))
  const stuckRun = await store.runs.create(b.id, runInit(assistant.id))
  await store.runs.update(b.id, stuckRun.id, { status: 'in_progress', started_at: 1 })
  await store.close()
  const again = await startRunStack(engine, stack.dataDir)
  t.teardown(() => again.close())
  const recovered = await again.queue.recover()
  t.same(recovered, { requeued: 1, failed: 1 })
  await again.queue.idle()
  t.equal((await again.store.runs.get(a.id, queuedRun.id))?.status, 'completed')
  const failed = await again.store.runs.get(b.id, stuckRun.id)
  t.equal(failed?.status, 'failed')
  t.equal(failed?.last_error?.code, 'server_error')
})

t.test('max_completion_tokens ends a run incomplete with the reason, its message incomplete', async (t) => {
  const stack = await startRunStack(engine)
  t.teardown(() => stack.close())
  const { store, queue } = stack
  const assistant = await store.assistants.create({ model: 'stories' })
  const thread = await store.threads.create({ messages: [{ role: 'user', content: 'Once' }] })
  const run = await store.runs.create(thread.id, runInit(assistant.id, { max_completion_tokens: 256 }))
  queue.enqueue(run)
  await queue.idle()
  const done = await store.runs.get(thread.id, run.id)
  t.equal(done?.status, 'incomplete')
  t.same(done?.incomplete_details, { reason: 'max_completion_tokens' })
  t.equal(done?.usage?.completion_tokens, 256)
  const message = (await store.messages.list(thread.id, { run_id: run.id })).data[0]
  t.equal(message?.status, 'incomplete')
  t.same(message?.incomplete_details, { reason: 'max_tokens' })
})

t.test('max_prompt_tokens: a prompt that cannot fit ends the run incomplete before any generation', async (t) => {
  const stack = await startRunStack(engine)
  t.teardown(() => stack.close())
  const { store, queue } = stack
  const assistant = await store.assistants.create({ model: 'stories' })
  const thread = await store.threads.create({ messages: [{ role: 'user', content: 'word '.repeat(400) }] })
  const run = await store.runs.create(thread.id, runInit(assistant.id, { max_prompt_tokens: 256 }))
  queue.enqueue(run)
  await queue.idle()
  const done = await store.runs.get(thread.id, run.id)
  t.equal(done?.status, 'incomplete')
  t.same(done?.incomplete_details, { reason: 'max_prompt_tokens' })
})

t.test('a run left waiting for tool outputs past expires_at expires, and its tool step with it', async (t) => {
  const stack = await startRunStack(engine, undefined, 1)
  t.teardown(() => stack.close())
  const { store, queue, events } = stack
  const tools = [
    {
      type: 'function' as const,
      function: {
        name: 'ping',
        parameters: { type: 'object', properties: { n: { type: 'integer', minimum: 0, maximum: 9 } }, required: ['n'] },
      },
    },
  ]
  const assistant = await store.assistants.create({ model: 'stories', tools })
  const thread = await store.threads.create({ messages: [{ role: 'user', content: 'ping' }] })
  const run = await store.runs.create(
    thread.id,
    runInit(assistant.id, { tools, tool_choice: 'required', parallel_tool_calls: false }),
  )
  queue.enqueue(run)
  await queue.idle()
  t.equal((await store.runs.get(thread.id, run.id))?.status, 'requires_action')
  const watch = events.subscribe(run.id)
  const names = (await collect(watch)).map((e) => e.event)
  t.same(names, ['thread.run.step.expired', 'thread.run.expired'])
  const expired = await store.runs.get(thread.id, run.id)
  t.equal(expired?.status, 'expired')
  t.equal(expired?.required_action, null)
  const steps = await store.steps.list({ thread_id: thread.id, run_id: run.id })
  t.equal(steps.data[0]?.status, 'expired')
  t.type(steps.data[0]?.expired_at, 'number')
  await t.rejects(
    queue.submitToolOutputs(thread.id, run.id, [{ tool_call_id: 'x', output: 'y' }]),
    { name: 'RunStateError' },
    'too late for outputs',
  )
})
