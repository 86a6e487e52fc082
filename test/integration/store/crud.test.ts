import t from 'tap'
import { Compile } from 'typebox/compile'
import { Assistant } from '../../../src/schemas/assistants.js'
import { Message } from '../../../src/schemas/messages.js'
import { RunStep } from '../../../src/schemas/run-steps.js'
import { Run } from '../../../src/schemas/runs.js'
import { Thread } from '../../../src/schemas/threads.js'
import { openTempStore, runInitFor } from '../../helpers/store.js'

const isAssistant = Compile(Assistant)
const isThread = Compile(Thread)
const isMessage = Compile(Message)
const isRun = Compile(Run)
const isStep = Compile(RunStep)

function storeError(code: string): { name: string; code: string } {
  return { name: 'StoreError', code }
}

const { store } = await openTempStore(t)

t.test('assistants: create fills OpenAI defaults, update replaces given fields, delete removes', async (t) => {
  const created = await store.assistants.create({
    model: 'stories260K',
    name: 'Tutor',
    tools: [{ type: 'function', function: { name: 'add' } }],
  })
  t.ok(isAssistant.Check(created), 'wire shape')
  t.match(created.id, /^asst_[0-9A-Za-z]{24}$/)
  t.same(
    { ...created, id: '', created_at: 0 },
    {
      id: '',
      object: 'assistant',
      created_at: 0,
      name: 'Tutor',
      description: null,
      model: 'stories260K',
      instructions: null,
      tools: [{ type: 'function', function: { name: 'add' } }],
      metadata: {},
      response_format: 'auto',
      temperature: 1,
      tool_resources: {},
      top_p: 1,
    },
  )
  t.same(await store.assistants.get(created.id), created)

  const updated = await store.assistants.update(created.id, {
    instructions: 'Be brief.',
    name: null,
    temperature: 0.2,
    metadata: { k: 'v' },
  })
  t.equal(updated.instructions, 'Be brief.')
  t.equal(updated.name, null)
  t.equal(updated.temperature, 0.2)
  t.equal(updated.model, 'stories260K', 'fields left out stay')
  t.same(await store.assistants.get(created.id), updated)

  t.same(await store.assistants.delete(created.id), { id: created.id, object: 'assistant.deleted', deleted: true })
  t.equal(await store.assistants.get(created.id), null)
  await t.rejects(store.assistants.delete(created.id), storeError('not_found'))
  await t.rejects(store.assistants.update(created.id, { name: 'x' }), storeError('not_found'))
})

t.test('threads: create writes initial messages in order in one transaction; update and delete', async (t) => {
  const thread = await store.threads.create({
    metadata: { user: 'u1' },
    messages: [
      { role: 'user', content: 'first' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'second' },
          { type: 'image_url', image_url: { url: 'https://e.x/a.png' } },
        ],
      },
      { role: 'user', content: 'third', metadata: { n: '3' } },
    ],
  })
  t.ok(isThread.Check(thread))
  t.same(thread.tool_resources, {})
  const page = await store.messages.list(thread.id, { order: 'asc' })
  t.same(
    page.data.map((m) => m.content[0]),
    [
      { type: 'text', text: { value: 'first', annotations: [] } },
      { type: 'text', text: { value: 'second', annotations: [] } },
      { type: 'text', text: { value: 'third', annotations: [] } },
    ],
  )
  t.same(page.data[1]?.content[1], { type: 'image_url', image_url: { url: 'https://e.x/a.png' } })
  t.ok(page.data.every((m) => isMessage.Check(m) && m.created_at === thread.created_at && m.thread_id === thread.id))

  const updated = await store.threads.update(thread.id, { metadata: { user: 'u2' } })
  t.same(updated.metadata, { user: 'u2' })
  t.same(await store.threads.get(thread.id), updated)
  t.same(await store.threads.delete(thread.id), { id: thread.id, object: 'thread.deleted', deleted: true })
  t.equal(await store.threads.get(thread.id), null)
  await t.rejects(store.threads.update(thread.id, {}), storeError('not_found'))
})

t.test('messages: CRUD scoped to their thread, appendText, setStatus', async (t) => {
  const thread = await store.threads.create()
  const other = await store.threads.create()
  const message = await store.messages.create(thread.id, {
    role: 'user',
    content: 'hello',
    attachments: [{ file_id: 'file_1', tools: [{ type: 'code_interpreter' }] }],
  })
  t.ok(isMessage.Check(message))
  t.same([message.status, message.assistant_id, message.run_id, message.metadata], ['completed', null, null, {}])
  t.same(await store.messages.get(thread.id, message.id), message)
  t.equal(await store.messages.get(other.id, message.id), null, 'not visible under another thread')
  await t.rejects(store.messages.create('thread_missing', { role: 'user', content: 'x' }), {
    name: 'StoreError',
    code: 'not_found',
    kind: 'thread',
    id: 'thread_missing',
    message: "No thread found with id 'thread_missing'.",
  })

  const updated = await store.messages.update(thread.id, message.id, { metadata: { tag: 'a' } })
  t.same(updated.metadata, { tag: 'a' })
  t.same(updated.content, message.content, 'content untouched')

  const answer = await store.messages.create(thread.id, {
    role: 'assistant',
    content: [],
    status: 'in_progress',
    assistant_id: 'asst_1',
    run_id: 'run_1',
  })
  t.same([answer.status, answer.completed_at, answer.content], ['in_progress', null, []])
  await store.messages.appendText(thread.id, answer.id, 'Once')
  const grown = await store.messages.appendText(thread.id, answer.id, ' upon')
  t.same(grown.content, [{ type: 'text', text: { value: 'Once upon', annotations: [] } }])
  const done = await store.messages.setStatus(thread.id, answer.id, 'incomplete', { reason: 'max_tokens' })
  t.same(
    [done.status, done.incomplete_details, typeof done.incomplete_at],
    ['incomplete', { reason: 'max_tokens' }, 'number'],
  )
  t.ok(isMessage.Check(done))
  t.same(await store.messages.get(thread.id, answer.id), done)

  await t.rejects(store.messages.delete(other.id, message.id), storeError('not_found'))
  t.same(await store.messages.delete(thread.id, message.id), {
    id: message.id,
    object: 'thread.message.deleted',
    deleted: true,
  })
  t.equal(await store.messages.get(thread.id, message.id), null)
})

t.test('metadata and text round-trip exactly, NUL characters included', async (t) => {
  const metadata = Object.fromEntries(
    Array.from({ length: 16 }, (_, i) => [`key-${i}-${'k'.repeat(50)}`, `välue ${i} ✓ ${'v'.repeat(490)}`]),
  )
  const text = 'zero \u0000 byte, emoji 🦙, quote " and backslash \\ and newline\n'
  const thread = await store.threads.create({ metadata, messages: [{ role: 'user', content: text, metadata }] })
  t.same((await store.threads.get(thread.id))?.metadata, metadata)
  const [message] = (await store.messages.list(thread.id)).data
  t.equal(message?.content[0]?.type === 'text' ? message.content[0].text.value : null, text)
  t.same(message?.metadata, metadata)
})

t.test('a value PostgreSQL refuses (NUL in an id) is an invalid_input StoreError, in a transaction too', async (t) => {
  await t.rejects(store.assistants.get('asst_\u0000'), storeError('invalid_input'))
  await t.rejects(store.messages.list('thread_\u0000'), storeError('invalid_input'))
  await t.rejects(
    store.transaction(async (tx) => {
      await tx.threads.create()
      return tx.threads.get('thread_\u0000')
    }),
    storeError('invalid_input'),
  )
  t.equal(await store.assistants.get('asst_fine'), null, 'the store works on')
})

t.test('runs: one active run per thread, guarded updates, listByStatus, steps', async (t) => {
  const assistant = await store.assistants.create({ model: 'm', instructions: 'sys' })
  const thread = await store.threads.create()
  const run = await store.runs.create(thread.id, runInitFor(assistant, { metadata: { a: 'b' } }))
  t.ok(isRun.Check(run))
  t.same(
    [run.status, run.thread_id, run.instructions, run.usage, run.metadata],
    ['queued', thread.id, 'sys', null, { a: 'b' }],
  )
  t.equal((await store.runs.activeRun(thread.id))?.id, run.id)
  t.equal(await store.runs.hasActiveRun(thread.id), true)
  await t.rejects(store.runs.create(thread.id, runInitFor(assistant)), storeError('conflict'), 'second active run')
  await t.rejects(store.runs.create('thread_missing', runInitFor(assistant)), storeError('not_found'))

  const started = await store.runs.update(
    thread.id,
    run.id,
    { status: 'in_progress', started_at: 100 },
    { ifStatus: ['queued'] },
  )
  t.same([started.status, started.started_at], ['in_progress', 100])
  await t.rejects(
    store.runs.update(thread.id, run.id, { status: 'in_progress' }, { ifStatus: ['queued'] }),
    storeError('conflict'),
  )
  t.same(
    (await store.runs.listByStatus(['in_progress'])).map((r) => r.id),
    [run.id],
  )

  const ref = { thread_id: thread.id, run_id: run.id }
  const step = await store.steps.create(ref, {
    type: 'tool_calls',
    step_details: {
      type: 'tool_calls',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'add', arguments: '{}', output: null } }],
    },
  })
  t.ok(isStep.Check(step))
  t.same([step.status, step.assistant_id, step.run_id], ['in_progress', assistant.id, run.id])
  const finished = await store.steps.update(ref, step.id, {
    status: 'completed',
    completed_at: 101,
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    step_details: {
      type: 'tool_calls',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'add', arguments: '{}', output: '3' } }],
    },
  })
  t.same(await store.steps.get(ref, step.id), finished)
  t.same(
    (await store.steps.list(ref)).data.map((s) => s.id),
    [step.id],
  )
  t.equal(await store.steps.get({ thread_id: 'thread_other', run_id: run.id }, step.id), null)
  await t.rejects(
    store.steps.create(
      { thread_id: 'thread_other', run_id: run.id },
      {
        type: 'message_creation',
        step_details: { type: 'message_creation', message_creation: { message_id: 'msg_1' } },
      },
    ),
    storeError('not_found'),
  )

  const completed = await store.runs.update(
    thread.id,
    run.id,
    {
      status: 'completed',
      completed_at: 102,
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    },
    { ifStatus: ['in_progress'] },
  )
  t.ok(isRun.Check(completed))
  t.same(await store.runs.get(thread.id, run.id), completed)
  t.equal(await store.runs.hasActiveRun(thread.id), false)
  const next = await store.runs.create(thread.id, runInitFor(assistant))
  t.same(
    (await store.runs.list(thread.id)).data.map((r) => r.id),
    [next.id, run.id],
    'newest first',
  )
})

t.test('deleting a thread deletes its messages, runs and steps', async (t) => {
  const assistant = await store.assistants.create({ model: 'm' })
  const thread = await store.threads.create({ messages: [{ role: 'user', content: 'hi' }] })
  const run = await store.runs.create(thread.id, runInitFor(assistant))
  const ref = { thread_id: thread.id, run_id: run.id }
  const message = await store.messages.create(thread.id, { role: 'assistant', content: 'yo', run_id: run.id })
  const step = await store.steps.create(ref, {
    type: 'message_creation',
    step_details: { type: 'message_creation', message_creation: { message_id: message.id } },
  })
  await store.threads.delete(thread.id)
  t.equal(await store.messages.get(thread.id, message.id), null)
  t.equal(await store.runs.get(thread.id, run.id), null)
  t.equal(await store.steps.get(ref, step.id), null)
  t.same(await store.runs.listByStatus(['queued']).then((runs) => runs.filter((r) => r.thread_id === thread.id)), [])
  await t.rejects(store.messages.list(thread.id), storeError('not_found'))
  t.not(await store.assistants.get(assistant.id), null, 'the assistant stays')
})

t.test('transaction(): all or nothing, and nested calls join it', async (t) => {
  const thread = await store.threads.create()
  await t.rejects(
    store.transaction(async (tx) => {
      await tx.messages.create(thread.id, { role: 'user', content: 'kept?' })
      await tx.transaction((inner) => inner.messages.create(thread.id, { role: 'user', content: 'nested' }))
      throw new Error('boom')
    }),
    { message: 'boom' },
  )
  t.same((await store.messages.list(thread.id)).data, [], 'rolled back')
  const ids = await store.transaction(async (tx) => [
    (await tx.messages.create(thread.id, { role: 'user', content: 'a' })).id,
    (await tx.messages.create(thread.id, { role: 'user', content: 'b' })).id,
  ])
  t.same(
    (await store.messages.list(thread.id, { order: 'asc' })).data.map((m) => m.id),
    ids,
  )
})

t.test('runs.countByStatus() counts the runs of every thread by status', async (t) => {
  const before = await store.runs.countByStatus()
  const assistant = await store.assistants.create({ model: 'm' })
  const [a, b] = [await store.threads.create(), await store.threads.create()]
  await store.runs.create(a.id, runInitFor(assistant))
  const started = await store.runs.create(b.id, runInitFor(assistant))
  await store.runs.update(b.id, started.id, { status: 'in_progress' })
  const after = await store.runs.countByStatus()
  t.equal((after.queued ?? 0) - (before.queued ?? 0), 1)
  t.equal((after.in_progress ?? 0) - (before.in_progress ?? 0), 1)
  t.notOk('expired' in after && !('expired' in before), 'a status no run has is left out')
})
