import OpenAI, { APIError } from 'openai'
import t from 'tap'
import type { Store } from '../../src/store/store.js'
import { startTestServer, TRANSPORTS, type TestServer } from '../helpers/server.js'

const INCLUDE = ['step_details.tool_calls[*].file_search.results[*].content'] as const

/** Runs a call that must fail and returns the SDK error it raised. */
async function failure(call: () => Promise<unknown>): Promise<APIError> {
  try {
    await call()
  } catch (error) {
    if (error instanceof APIError) return error
    throw error
  }
  throw new Error('The call succeeded but was expected to fail')
}

function storeOf(s: TestServer): Store {
  const store = s.app.deps.store
  if (!store) throw new Error('The test server has no store')
  return store
}

/** A queued run written straight to the store (never enqueued), so it stays active until the test ends it. */
function queuedRun(s: TestServer, threadId: string, assistantId: string) {
  return storeOf(s).runs.create(threadId, {
    assistant_id: assistantId,
    model: s.app.deps.model.id,
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    response_format: 'auto',
    truncation_strategy: { type: 'auto', last_messages: null },
    max_prompt_tokens: null,
    max_completion_tokens: null,
    temperature: 1,
    top_p: 1,
  })
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: Assistants v2 CRUD through the openai SDK`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    const { client } = s
    const model = s.app.deps.model.id
    const weather = {
      type: 'function' as const,
      function: {
        name: 'get_weather',
        description: 'Weather of a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
      },
    }

    t.test('assistants: create, retrieve, update, list, delete', async (t) => {
      const created = await client.beta.assistants.create({
        model,
        name: 'Helper',
        instructions: 'Be brief.',
        tools: [weather],
        metadata: { team: 'a' },
      })
      t.match(created, {
        object: 'assistant',
        name: 'Helper',
        description: null,
        model,
        instructions: 'Be brief.',
        tools: [weather],
        metadata: { team: 'a' },
        response_format: 'auto',
        temperature: 1,
        top_p: 1,
      })
      t.match(created.id, /^asst_/)
      t.same(await client.beta.assistants.retrieve(created.id), created)
      const updated = await client.beta.assistants.update(created.id, {
        name: 'Renamed',
        metadata: { team: 'b' },
        temperature: 0.5,
      })
      t.match(updated, {
        id: created.id,
        name: 'Renamed',
        instructions: 'Be brief.',
        metadata: { team: 'b' },
        temperature: 0.5,
      })
      const others = [await client.beta.assistants.create({ model }), await client.beta.assistants.create({ model })]
      const seen: string[] = []
      for await (const a of client.beta.assistants.list({ limit: 2, order: 'asc' })) seen.push(a.id)
      t.same(seen.slice(-3), [created.id, ...others.map((a) => a.id)], 'auto-pagination in creation order')
      const page = await client.beta.assistants.list({ limit: 1 })
      t.equal(page.data[0]?.id, others[1]?.id, 'desc by default')
      t.equal(page.has_more, true)
      t.same(await client.beta.assistants.delete(created.id), {
        id: created.id,
        object: 'assistant.deleted',
        deleted: true,
      })
      const gone = await failure(() => client.beta.assistants.retrieve(created.id))
      t.ok(gone instanceof OpenAI.NotFoundError)
      t.equal(gone.error && (gone.error as { message?: string }).message, `No assistant found with id '${created.id}'.`)
    })

    t.test('assistants: unsupported tools, tool resources and unknown models are refused', async (t) => {
      const ci = await failure(() =>
        client.beta.assistants.create({ model, tools: [weather, { type: 'code_interpreter' }] }),
      )
      t.ok(ci instanceof OpenAI.BadRequestError)
      t.equal(ci.param, 'tools[1].type')
      t.match(ci.message, "Tool type 'code_interpreter' is not supported by this server yet")
      const fs = await failure(() => client.beta.assistants.create({ model, tools: [{ type: 'file_search' }] }))
      t.equal(fs.status, 400)
      t.equal(fs.param, 'tools[0].type')
      const res = await failure(() =>
        client.beta.assistants.create({ model, tool_resources: { code_interpreter: { file_ids: ['file_1'] } } }),
      )
      t.equal(res.status, 400)
      t.equal(res.param, 'tool_resources.code_interpreter.file_ids')
      const ok = await client.beta.assistants.create({ model, tool_resources: { code_interpreter: { file_ids: [] } } })
      t.equal(ok.object, 'assistant', 'empty tool resources are fine')
      const upd = await failure(() => client.beta.assistants.update(ok.id, { tools: [{ type: 'code_interpreter' }] }))
      t.equal(upd.param, 'tools[0].type')
      const unknown = await failure(() => client.beta.assistants.create({ model: 'gpt-4o' }))
      t.ok(unknown instanceof OpenAI.NotFoundError)
      t.equal(unknown.code, 'model_not_found')
      t.equal(unknown.param, 'model')
      const unknownUpdate = await failure(() => client.beta.assistants.update(ok.id, { model: 'gpt-4o' }))
      t.equal(unknownUpdate.code, 'model_not_found')
    })

    t.test('threads: create with initial messages, retrieve, update, delete cascades', async (t) => {
      const thread = await client.beta.threads.create({
        metadata: { user: 'u1' },
        messages: [
          { role: 'user', content: 'Hello' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Hi ' },
              { type: 'text', text: 'there' },
            ],
          },
          { role: 'user', content: 'Tell me a story', metadata: { n: '3' } },
        ],
      })
      t.match(thread, { object: 'thread', metadata: { user: 'u1' }, tool_resources: {} })
      t.same(await client.beta.threads.retrieve(thread.id), thread)
      const messages = await client.beta.threads.messages.list(thread.id, { order: 'asc' })
      t.same(
        messages.data.map((m) => [m.role, m.content.map((c) => (c.type === 'text' ? c.text.value : c.type))]),
        [
          ['user', ['Hello']],
          ['assistant', ['Hi ', 'there']],
          ['user', ['Tell me a story']],
        ],
      )
      t.match(messages.data[0], {
        object: 'thread.message',
        thread_id: thread.id,
        status: 'completed',
        assistant_id: null,
        run_id: null,
        attachments: [],
        incomplete_details: null,
        incomplete_at: null,
        metadata: {},
      })
      t.same(messages.data[2]?.metadata, { n: '3' })
      const updated = await client.beta.threads.update(thread.id, { metadata: { user: 'u2' } })
      t.same(updated.metadata, { user: 'u2' })
      const first = messages.data[0]
      if (!first) throw new Error('no first message')
      t.same(await client.beta.threads.delete(thread.id), { id: thread.id, object: 'thread.deleted', deleted: true })
      t.equal((await failure(() => client.beta.threads.retrieve(thread.id))).status, 404)
      const msgGone = await failure(() => client.beta.threads.messages.retrieve(first.id, { thread_id: thread.id }))
      t.ok(msgGone instanceof OpenAI.NotFoundError)
      t.match(msgGone.message, `No thread found with id '${thread.id}'.`)
      t.equal(await storeOf(s).messages.get(thread.id, first.id), null, 'the messages went with the thread')
      t.equal((await failure(() => client.beta.threads.messages.list(thread.id))).status, 404)
      t.equal((await failure(() => client.beta.threads.delete(thread.id))).status, 404)
    })

    t.test('threads: deleting a thread with an active run cancels the run and removes it', async (t) => {
      const assistant = await client.beta.assistants.create({ model })
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hi' }] })
      const run = await queuedRun(s, thread.id, assistant.id)
      t.same(await client.beta.threads.delete(thread.id), { id: thread.id, object: 'thread.deleted', deleted: true })
      t.equal(await storeOf(s).runs.get(thread.id, run.id), null)
      const steps = await failure(() => client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id }))
      t.equal(steps.status, 404)
    })

    t.test('messages: create, retrieve, update metadata, delete', async (t) => {
      const thread = await client.beta.threads.create()
      const plain = await client.beta.threads.messages.create(thread.id, {
        role: 'user',
        content: 'Plain text',
        metadata: { k: 'v' },
      })
      t.match(plain, {
        object: 'thread.message',
        thread_id: thread.id,
        role: 'user',
        status: 'completed',
        content: [{ type: 'text', text: { value: 'Plain text', annotations: [] } }],
        metadata: { k: 'v' },
        run_id: null,
      })
      const parts = await client.beta.threads.messages.create(thread.id, {
        role: 'user',
        content: [
          { type: 'text', text: 'One' },
          { type: 'text', text: 'Two' },
        ],
      })
      t.same(parts.content, [
        { type: 'text', text: { value: 'One', annotations: [] } },
        { type: 'text', text: { value: 'Two', annotations: [] } },
      ])
      t.same(await client.beta.threads.messages.retrieve(plain.id, { thread_id: thread.id }), plain)
      const updated = await client.beta.threads.messages.update(plain.id, {
        thread_id: thread.id,
        metadata: { k: 'w', extra: 'x' },
      })
      t.same(updated.metadata, { k: 'w', extra: 'x' })
      t.same(updated.content, plain.content, 'only metadata changes')
      t.same((await client.beta.threads.messages.retrieve(plain.id, { thread_id: thread.id })).metadata, {
        k: 'w',
        extra: 'x',
      })
      t.same(await client.beta.threads.messages.delete(plain.id, { thread_id: thread.id }), {
        id: plain.id,
        object: 'thread.message.deleted',
        deleted: true,
      })
      const gone = await failure(() => client.beta.threads.messages.retrieve(plain.id, { thread_id: thread.id }))
      t.match(gone.message, `No message found with id '${plain.id}'.`)
      t.same(
        (await client.beta.threads.messages.list(thread.id)).data.map((m) => m.id),
        [parts.id],
      )
    })

    t.test('messages: auto-pagination over 45 messages in both orders', async (t) => {
      const thread = await client.beta.threads.create()
      const ids: string[] = []
      for (let i = 0; i < 45; i++)
        ids.push((await client.beta.threads.messages.create(thread.id, { role: 'user', content: `m${i}` })).id)
      const asc: string[] = []
      for await (const m of client.beta.threads.messages.list(thread.id, { order: 'asc', limit: 10 })) asc.push(m.id)
      t.same(asc, ids)
      const desc: string[] = []
      for await (const m of client.beta.threads.messages.list(thread.id, { order: 'desc', limit: 10 })) desc.push(m.id)
      t.same(desc, [...ids].reverse())
      const page = await client.beta.threads.messages.list(thread.id, { order: 'asc', limit: 10, after: ids[39] })
      t.same(
        page.data.map((m) => m.id),
        ids.slice(40),
      )
      t.equal(page.has_more, false)
      const before = await client.beta.threads.messages.list(thread.id, { order: 'asc', limit: 3, before: ids[10] })
      t.same(
        before.data.map((m) => m.id),
        ids.slice(7, 10),
      )
    })

    t.test('runs: active run blocks new messages; run_id filter; steps list and retrieve with include[]', async (t) => {
      const store = storeOf(s)
      const assistant = await client.beta.assistants.create({ model })
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hi' }] })
      const run = await queuedRun(s, thread.id, assistant.id)
      const blocked = await failure(() =>
        client.beta.threads.messages.create(thread.id, { role: 'user', content: 'More' }),
      )
      t.ok(blocked instanceof OpenAI.BadRequestError)
      t.match(blocked.message, `Can't add messages to ${thread.id} while a run ${run.id} is active.`)
      const ref = { thread_id: thread.id, run_id: run.id }
      const answer = await store.messages.create(thread.id, {
        role: 'assistant',
        content: 'Once upon a time',
        run_id: run.id,
        assistant_id: assistant.id,
      })
      const step = await store.steps.create(ref, {
        type: 'message_creation',
        step_details: { type: 'message_creation', message_creation: { message_id: answer.id } },
        status: 'completed',
      })
      await store.runs.update(thread.id, run.id, { status: 'completed', completed_at: Math.floor(Date.now() / 1000) })
      const after = await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'Thanks' })
      t.equal(after.run_id, null, 'messages are accepted once the run ended')

      const byRun = await client.beta.threads.messages.list(thread.id, { run_id: run.id })
      t.same(
        byRun.data.map((m) => m.id),
        [answer.id],
      )
      t.match(byRun.data[0], { run_id: run.id, assistant_id: assistant.id, role: 'assistant' })
      t.equal((await client.beta.threads.messages.list(thread.id)).data.length, 3, 'no filter: every message')
      t.same((await client.beta.threads.messages.list(thread.id, { run_id: 'run_unknown' })).data, [])

      const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, include: [...INCLUDE] })
      t.same(steps.data, [step])
      const raw = await client.beta.threads.runs.steps
        .list(run.id, { thread_id: thread.id, include: [...INCLUDE] })
        .asResponse()
      t.same(
        { ...((await raw.json()) as object), data: [] },
        { object: 'list', data: [], first_id: step.id, last_id: step.id, has_more: false },
      )
      t.same(
        await client.beta.threads.runs.steps.retrieve(step.id, {
          thread_id: thread.id,
          run_id: run.id,
          include: [...INCLUDE],
        }),
        step,
      )
      t.same(await client.beta.threads.runs.steps.retrieve(step.id, { thread_id: thread.id, run_id: run.id }), step)
      const badInclude = await failure(() =>
        client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, include: ['nope' as never] }),
      )
      t.equal(badInclude.status, 400)
      t.match(badInclude.param, /^include/)

      const other = await client.beta.threads.create()
      const wrongThread = await failure(() =>
        client.beta.threads.runs.steps.retrieve(step.id, { thread_id: other.id, run_id: run.id }),
      )
      t.ok(wrongThread instanceof OpenAI.NotFoundError)
      t.match(wrongThread.message, `No run found with id '${run.id}'.`)
      t.equal((await failure(() => client.beta.threads.runs.steps.list(run.id, { thread_id: other.id }))).status, 404)
      const noStep = await failure(() =>
        client.beta.threads.runs.steps.retrieve('step_unknown', { thread_id: thread.id, run_id: run.id }),
      )
      t.match(noStep.message, "No run step found with id 'step_unknown'.")
      const noRun = await failure(() => client.beta.threads.runs.steps.list('run_unknown', { thread_id: thread.id }))
      t.match(noRun.message, "No run found with id 'run_unknown'.")
      const noThread = await failure(() => client.beta.threads.runs.steps.list(run.id, { thread_id: 'thread_unknown' }))
      t.match(noThread.message, "No thread found with id 'thread_unknown'.")
    })

    t.test('runs: run_id filters real runs; deleting a thread mid-run stops the run', async (t) => {
      // A small JSON answer makes stories260K end its turn, so these runs complete
      const assistant = await client.beta.assistants.create({
        model,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'answer',
            schema: { type: 'object', properties: { answer: { type: 'string', maxLength: 8 } }, required: ['answer'] },
          },
        },
      })
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hi' }] })
      const first = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id })
      await client.beta.threads.messages.create(thread.id, { role: 'user', content: 'Again' })
      const second = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id })
      t.same([first.status, second.status], ['completed', 'completed'])
      for (const run of [first, second]) {
        const mine = (await client.beta.threads.messages.list(thread.id, { run_id: run.id })).data
        t.same(
          mine.map((m) => [m.role, m.run_id]),
          [['assistant', run.id]],
          `only the message of ${run.id}`,
        )
        const steps = (
          await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, include: [...INCLUDE] })
        ).data
        t.same(
          steps.map((step) =>
            step.step_details.type === 'message_creation' ? step.step_details.message_creation.message_id : null,
          ),
          [mine[0]?.id],
        )
      }

      const talker = await client.beta.assistants.create({ model }) // no format: it talks until the token limit
      const busy = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Tell me a long story' }] })
      const run = await client.beta.threads.runs.create(busy.id, {
        assistant_id: talker.id,
        max_completion_tokens: 4000,
      })
      let status = run.status
      for (let i = 0; i < 400 && status === 'queued'; i++) {
        await new Promise((r) => setTimeout(r, 25))
        status = (await client.beta.threads.runs.retrieve(run.id, { thread_id: busy.id })).status
      }
      t.equal(status, 'in_progress', 'the run is generating when its thread goes')
      t.same(await client.beta.threads.delete(busy.id), { id: busy.id, object: 'thread.deleted', deleted: true })
      await s.app.deps.runs?.idle()
      t.equal(await storeOf(s).runs.get(busy.id, run.id), null)
      t.same(s.app.deps.runs?.stats, { waiting: 0, running: 0 }, 'the queue let go of the run')
      const after = await client.beta.threads.createAndRunPoll({
        assistant_id: assistant.id,
        thread: { messages: [{ role: 'user', content: 'Hi' }] },
      })
      t.equal(after.status, 'completed', 'later runs still execute')
    })

    t.test('404s for unknown ids and for ids of another thread', async (t) => {
      const a = await client.beta.threads.create({ messages: [{ role: 'user', content: 'in a' }] })
      const b = await client.beta.threads.create()
      const [message] = (await client.beta.threads.messages.list(a.id)).data
      if (!message) throw new Error('no message')
      const cases: Array<[string, () => Promise<unknown>, string]> = [
        [
          'retrieve assistant',
          () => client.beta.assistants.retrieve('asst_nope'),
          "No assistant found with id 'asst_nope'.",
        ],
        [
          'update assistant',
          () => client.beta.assistants.update('asst_nope', { name: 'x' }),
          "No assistant found with id 'asst_nope'.",
        ],
        [
          'delete assistant',
          () => client.beta.assistants.delete('asst_nope'),
          "No assistant found with id 'asst_nope'.",
        ],
        [
          'retrieve thread',
          () => client.beta.threads.retrieve('thread_nope'),
          "No thread found with id 'thread_nope'.",
        ],
        [
          'update thread',
          () => client.beta.threads.update('thread_nope', { metadata: {} }),
          "No thread found with id 'thread_nope'.",
        ],
        ['delete thread', () => client.beta.threads.delete('thread_nope'), "No thread found with id 'thread_nope'."],
        [
          'create message',
          () => client.beta.threads.messages.create('thread_nope', { role: 'user', content: 'x' }),
          "No thread found with id 'thread_nope'.",
        ],
        [
          'list messages',
          () => client.beta.threads.messages.list('thread_nope'),
          "No thread found with id 'thread_nope'.",
        ],
        [
          'retrieve unknown message',
          () => client.beta.threads.messages.retrieve('msg_nope', { thread_id: a.id }),
          "No message found with id 'msg_nope'.",
        ],
        [
          'retrieve message of another thread',
          () => client.beta.threads.messages.retrieve(message.id, { thread_id: b.id }),
          `No message found with id '${message.id}'.`,
        ],
        [
          'update message of another thread',
          () => client.beta.threads.messages.update(message.id, { thread_id: b.id, metadata: { x: 'y' } }),
          `No message found with id '${message.id}'.`,
        ],
        [
          'delete message of another thread',
          () => client.beta.threads.messages.delete(message.id, { thread_id: b.id }),
          `No message found with id '${message.id}'.`,
        ],
        [
          'delete message of an unknown thread',
          () => client.beta.threads.messages.delete(message.id, { thread_id: 'thread_nope' }),
          "No thread found with id 'thread_nope'.",
        ],
      ]
      for (const [name, call, text] of cases) {
        const error = await failure(call)
        t.ok(error instanceof OpenAI.NotFoundError, `${name}: 404`)
        t.equal((error.error as { message?: string } | undefined)?.message, text, `${name}: message`)
        t.equal(error.type, 'invalid_request_error', `${name}: envelope type`)
      }
      t.same(
        (await client.beta.threads.messages.retrieve(message.id, { thread_id: a.id })).metadata,
        {},
        'the message is untouched',
      )
      const cursor = await failure(() => client.beta.threads.messages.list(a.id, { after: 'msg_nope' }))
      t.equal(cursor.status, 400)
      t.equal(cursor.param, 'after')
    })

    t.test('400s: image parts, attachments and metadata over the limits', async (t) => {
      const thread = await client.beta.threads.create()
      const image = await failure(() =>
        client.beta.threads.messages.create(thread.id, {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        }),
      )
      t.ok(image instanceof OpenAI.BadRequestError)
      t.equal(image.param, 'content[1]')
      t.match(image.message, /does not support image input/)
      const file = await failure(() =>
        client.beta.threads.messages.create(thread.id, {
          role: 'user',
          content: [{ type: 'image_file', image_file: { file_id: 'file_1' } }],
        }),
      )
      t.equal(file.param, 'content[0]')
      const inThread = await failure(() =>
        client.beta.threads.create({
          messages: [
            { role: 'user', content: 'ok' },
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
          ],
        }),
      )
      t.ok(inThread instanceof OpenAI.BadRequestError)
      t.equal(inThread.param, 'messages[1].content[0]')
      const attach = await failure(() =>
        client.beta.threads.messages.create(thread.id, {
          role: 'user',
          content: 'x',
          attachments: [{ file_id: 'file_1', tools: [{ type: 'file_search' }] }],
        }),
      )
      t.equal(attach.param, 'attachments[0]')
      const resources = await failure(() =>
        client.beta.threads.create({ tool_resources: { file_search: { vector_store_ids: ['vs_1'] } } }),
      )
      t.equal(resources.param, 'tool_resources.file_search.vector_store_ids')
      t.same((await client.beta.threads.messages.list(thread.id)).data, [], 'nothing was stored')

      const seventeen = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))
      const tooMany = await failure(() => client.beta.threads.create({ metadata: seventeen }))
      t.ok(tooMany instanceof OpenAI.BadRequestError)
      t.equal(tooMany.param, 'metadata')
      t.match(tooMany.message, 'at most 16 properties')
      const longKey = await failure(() => client.beta.assistants.create({ model, metadata: { ['k'.repeat(65)]: 'v' } }))
      t.equal(longKey.param, 'metadata')
      t.match(longKey.message, 'Expected keys with maximum length 64')
      const longValue = await failure(() =>
        client.beta.threads.messages.create(thread.id, {
          role: 'user',
          content: 'x',
          metadata: { k: 'v'.repeat(513) },
        }),
      )
      t.equal(longValue.param, 'metadata.k')
      t.match(longValue.message, 'maximum length 512')
      const update = await failure(() => client.beta.threads.update(thread.id, { metadata: seventeen }))
      t.equal(update.param, 'metadata')
      const sixteen = Object.fromEntries(
        Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(64, 'x'), 'v'.repeat(512)]),
      )
      t.same(
        (await client.beta.threads.update(thread.id, { metadata: sixteen })).metadata,
        sixteen,
        'exactly at the limits is fine',
      )
    })
  })
}
