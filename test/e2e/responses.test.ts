import OpenAI, { APIError } from 'openai'
import t, { type Test } from 'tap'
import { startTestServer, TRANSPORTS } from '../helpers/server.js'
import { waitForResponse } from '../helpers/responses.js'
import { postJson, readSseData } from '../helpers/sse.js'

const MODEL = 'stories260K'
const WEATHER: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', enum: ['Paris', 'Rome'] } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
}

/** Awaits a call that must fail with an SDK APIError and matches its status, param, code and message. */
async function rejectsWith(
  t: Test,
  call: Promise<unknown>,
  want: { status: number; param?: string; code?: string; message?: RegExp },
): Promise<void> {
  try {
    await call
  } catch (error) {
    if (!(error instanceof APIError)) throw error
    t.match({ status: error.status, param: error.param, code: error.code, message: error.message }, want)
    return
  }
  t.fail(`the call succeeded but should fail with ${want.status}`)
}

/** The SDK error a call fails with, or undefined when it succeeds. */
async function failure(call: Promise<unknown>): Promise<APIError | undefined> {
  try {
    await call
  } catch (error) {
    if (error instanceof APIError) return error
    throw error
  }
  return undefined
}

/** A response without the `output_text` the SDK adds on create and retrieve (not on cancel). */
function plain(response: OpenAI.Responses.Response): Omit<OpenAI.Responses.Response, 'output_text'> {
  const { output_text: _text, ...rest } = response
  return rest
}

type Event = { type: string; sequence_number: number; item_id?: string; output_index?: number }

for (const transport of TRANSPORTS) {
  t.test(`${transport}: /v1/responses through the openai SDK`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    const c = s.client
    const first = await c.responses.create({
      model: MODEL,
      input: 'Once upon a time',
      instructions: 'Tell a story.',
      max_output_tokens: 12,
      temperature: 0,
      metadata: { topic: 'story' },
    })

    t.test("a non-streamed response has OpenAI's shape and stops at max_output_tokens", async (t) => {
      t.match(first.id, /^resp_[0-9A-Za-z]{24}$/)
      t.equal(first.object, 'response')
      t.equal(first.model, MODEL)
      t.equal(first.status, 'incomplete')
      t.same(first.incomplete_details, { reason: 'max_output_tokens' })
      t.equal(first.instructions, 'Tell a story.')
      t.same(first.metadata, { topic: 'story' })
      t.equal(first.error, null)
      t.equal(first.completed_at, null)
      t.equal(first.output.length, 1)
      const message = first.output[0]
      t.equal(message?.type, 'message')
      if (message?.type !== 'message') return
      t.match(message.id, /^msg_/)
      t.equal(message.role, 'assistant')
      t.equal(message.status, 'incomplete')
      t.ok(first.output_text.length > 5, `some text: ${JSON.stringify(first.output_text)}`)
      t.equal(first.usage?.output_tokens, 12)
      t.ok((first.usage?.input_tokens ?? 0) > 5)
      t.equal(first.usage?.total_tokens, (first.usage?.input_tokens ?? 0) + 12)
      t.same(first.usage?.output_tokens_details, { reasoning_tokens: 0 })
    })

    t.test('responses.stream() merges the exact event sequence into the same response', async (t) => {
      const stream = c.responses.stream({
        model: MODEL,
        input: 'Once upon a time',
        instructions: 'Tell a story.',
        max_output_tokens: 12,
        temperature: 0,
      })
      const events: Event[] = []
      stream.on('event', (event) => events.push(event as Event))
      const final = await stream.finalResponse()
      t.equal(final.output_text, first.output_text, 'the greedy text of the non-streamed response')
      t.equal(final.status, 'incomplete')
      t.same(
        events.map((e) => e.sequence_number),
        events.map((_, i) => i),
        'sequence_number counts from 0',
      )
      const types = events.map((e) => e.type)
      t.same(types.slice(0, 4), [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
      ])
      t.same(types.slice(-4), [
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.incomplete',
      ])
      t.ok(types.slice(4, -4).every((type) => type === 'response.output_text.delta'))
      const stored = await c.responses.retrieve(final.id)
      t.equal(stored.output_text, final.output_text, 'stored before the last event was sent')
      const replay = c.responses.stream({ response_id: final.id })
      // the SDK adds `parsed` and `output_parsed` to what it merged
      t.match(await replay.finalResponse(), stored, 'GET ?stream=true replays the stored response')
      const raw = await c.responses.retrieve(final.id, { stream: true, starting_after: 2 })
      const replayed: number[] = []
      for await (const event of raw) replayed.push(event.sequence_number)
      t.equal(replayed[0], 3, 'starting_after skips the events up to it')
      t.equal(replayed.at(-1), 3 + replayed.length - 1)
    })

    t.test('previous_response_id carries the earlier input and output, not its instructions', async (t) => {
      const second = await c.responses.create({
        model: MODEL,
        previous_response_id: first.id,
        input: [{ role: 'user', content: 'And then?' }],
        max_output_tokens: 4,
        temperature: 0,
      })
      t.equal(second.previous_response_id, first.id)
      t.equal(second.instructions, null, 'instructions are not inherited')
      const alone = await c.responses.create({
        model: MODEL,
        input: [{ role: 'user', content: 'And then?' }],
        max_output_tokens: 4,
        temperature: 0,
      })
      t.ok(
        (second.usage?.input_tokens ?? 0) > (alone.usage?.input_tokens ?? 0) + (first.usage?.output_tokens ?? 0),
        `the chained prompt holds the earlier turn: ${second.usage?.input_tokens} vs ${alone.usage?.input_tokens}`,
      )
      const third = await c.responses.create({
        model: MODEL,
        previous_response_id: second.id,
        input: 'Go on.',
        max_output_tokens: 4,
        temperature: 0,
      })
      t.ok((third.usage?.input_tokens ?? 0) > (second.usage?.input_tokens ?? 0) + 4, 'the chain grows')
      // the engine's timings: a chained turn reads only what its slot's cache does not already hold
      t.ok(
        (third.usage?.input_tokens_details.cached_tokens ?? 0) > 0,
        `the third turn reuses the cached prefix: ${third.usage?.input_tokens_details.cached_tokens} of ${third.usage?.input_tokens}`,
      )
    })

    t.test('background: queued at once, then polled until it finishes with the foreground text', async (t) => {
      const queued = await c.responses.create({
        model: MODEL,
        input: 'Once upon a time',
        instructions: 'Tell a story.',
        max_output_tokens: 12,
        temperature: 0,
        background: true,
      })
      t.equal(queued.background, true)
      t.equal(queued.status, 'queued', 'the reply comes before generation')
      t.same(queued.output, [])
      const done = await waitForResponse(c, queued.id)
      t.equal(done.status, 'incomplete')
      t.same(done.incomplete_details, { reason: 'max_output_tokens' })
      t.equal(done.output_text, first.output_text, 'the same greedy text as the foreground response')
      t.equal(done.usage?.output_tokens, 12)
      await rejectsWith(t, c.responses.cancel(first.id), { status: 400 })
      t.same(
        plain(await c.responses.cancel(done.id)),
        plain(done),
        'a finished background response is returned as it is',
      )
      await rejectsWith(t, c.responses.create({ model: MODEL, input: 'x', background: true, store: false }), {
        status: 400,
        param: 'store',
      })
    })

    t.test('background + stream: numbered events from response.queued on, resumed by GET ?stream=true', async (t) => {
      const params = {
        model: MODEL,
        input: 'Once upon a time',
        max_output_tokens: 6,
        temperature: 0,
        background: true,
      }
      const stream = await c.responses.create({ ...params, stream: true })
      const events: OpenAI.Responses.ResponseStreamEvent[] = []
      for await (const event of stream) events.push(event)
      t.same(
        events.slice(0, 3).map((e) => e.type),
        ['response.created', 'response.queued', 'response.in_progress'],
      )
      t.same(
        events.map((e) => e.sequence_number),
        events.map((_, i) => i),
        'sequence_number counts from 0',
      )
      const last = events.at(-1)
      t.equal(last?.type, 'response.incomplete')
      if (last?.type !== 'response.incomplete') return
      t.equal(events[0]?.type === 'response.created' && events[0].response.status, 'queued')
      const id = last.response.id
      const resumed: OpenAI.Responses.ResponseStreamEvent[] = []
      for await (const event of await c.responses.retrieve(id, { stream: true, starting_after: 2 })) resumed.push(event)
      t.same(resumed, events.slice(3), 'the stored stream after event 2, exactly as it was sent')
      const merged = await c.responses.stream({ response_id: id }).finalResponse()
      t.equal(merged.output_text, (await c.responses.retrieve(id)).output_text, 'the SDK merges the replay')
      // a client that leaves the stream only unsubscribes: the response belongs to the runner and finishes
      const left = await c.responses.create({ ...params, stream: true })
      let leftId = ''
      for await (const event of left) {
        if (event.type === 'response.created') leftId = event.response.id
        if (event.type === 'response.in_progress') break
      }
      const finished = await waitForResponse(c, leftId)
      t.equal(finished.status, 'incomplete', 'it finished after the client left')
      t.equal(finished.output_text, merged.output_text)
    })

    t.test('background cancel: a queued one never starts, a running one stops; cancel is idempotent', async (t) => {
      const long = { model: MODEL, input: 'Tell me a long story', max_output_tokens: 1800, background: true }
      // both slots generate: the next background response has to wait in the queue
      const running = [await c.responses.create(long), await c.responses.create(long)]
      for (const r of running) await waitForResponse(c, r.id, (x) => x.status !== 'queued')
      const waiting = await c.responses.create(long)
      const cancelled = await c.responses.cancel(waiting.id)
      t.equal(cancelled.status, 'cancelled', 'cancelled while queued')
      const stopped = await Promise.all(running.map((r) => c.responses.cancel(r.id)))
      t.same(
        stopped.map((r) => r.status),
        ['cancelled', 'cancelled'],
        'cancelled while in progress',
      )
      await s.app.deps.responseRunner?.idle()
      t.equal(s.app.deps.model.engine?.stats.active, 0, 'the slots are free again')
      const after = await c.responses.retrieve(waiting.id)
      t.equal(after.status, 'cancelled')
      t.same(after.output, [], 'the queued one never ran')
      for (const r of stopped) {
        const now = await c.responses.retrieve(r.id)
        t.equal(now.status, 'cancelled', 'the runner did not overwrite the cancel')
        t.same(plain(await c.responses.cancel(r.id)), plain(now), 'a second cancel returns the same object')
      }
    })

    t.test('input_tokens counts what a create would read', async (t) => {
      const engine = s.app.deps.model.engine
      if (!engine) return t.fail('the engine is loaded')
      // count without generation: the engine is not called at all
      const run = engine.run.bind(engine)
      let calls = 0
      engine.run = (...args) => {
        calls++
        return run(...args)
      }
      t.teardown(() => {
        engine.run = run
      })
      const counted = await c.responses.inputTokens.count({
        model: MODEL,
        input: 'Once upon a time',
        instructions: 'Tell a story.',
      })
      t.equal(counted.object, 'response.input_tokens')
      t.equal(counted.input_tokens, first.usage?.input_tokens, 'the same count as the created response')
      const chained = await c.responses.inputTokens.count({ model: MODEL, previous_response_id: first.id, input: 'x' })
      t.equal(calls, 0, 'no engine call')
      t.ok(chained.input_tokens > (first.usage?.total_tokens ?? 0), 'a chained count includes the earlier turn')
    })

    t.test('store: false is neither retrievable nor chainable', async (t) => {
      const r = await c.responses.create({ model: MODEL, input: 'Hi', max_output_tokens: 3, store: false })
      t.equal(r.status, 'incomplete')
      await rejectsWith(t, c.responses.retrieve(r.id), { status: 404 })
      await rejectsWith(t, c.responses.inputItems.list(r.id), { status: 404 })
      await rejectsWith(
        t,
        c.responses.create({ model: MODEL, input: 'x', previous_response_id: r.id, max_output_tokens: 2 }),
        { status: 400, param: 'previous_response_id', code: 'previous_response_not_found' },
      )
    })

    t.test('retrieve, input_items (cursor pages, order) and delete', async (t) => {
      const r = await c.responses.create({
        model: MODEL,
        input: [
          { role: 'developer', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'input_text', text: 'One' }] },
          { role: 'assistant', content: 'Two' },
          { type: 'message', role: 'user', content: 'Three' },
        ],
        max_output_tokens: 3,
      })
      const got = await c.responses.retrieve(r.id)
      t.same(got, r, 'retrieve returns the created response')
      const desc = await c.responses.inputItems.list(r.id, { limit: 3 })
      t.equal(desc.data.length, 3)
      t.equal(desc.has_more, true)
      const texts = (items: OpenAI.Responses.ResponseItem[]) =>
        items.map((item) => (item.type === 'message' ? (item.content[0] as { text: string }).text : item.type))
      t.same(texts(desc.data), ['Three', 'Two', 'One'], 'newest first by default')
      const all: OpenAI.Responses.ResponseItem[] = []
      for await (const item of c.responses.inputItems.list(r.id, { order: 'asc', limit: 2 })) all.push(item)
      t.same(texts(all), ['Be brief.', 'One', 'Two', 'Three'], 'the SDK pages through them in order')
      t.ok(all.every((item) => item.id.startsWith('msg_') && 'status' in item && item.status === 'completed'))
      await c.responses.delete(r.id)
      await rejectsWith(t, c.responses.retrieve(r.id), { status: 404 })
      await rejectsWith(t, c.responses.delete(r.id), { status: 404 })
    })

    t.test('a forced function call, streamed, then its function_call_output', async (t) => {
      const stream = c.responses.stream({
        model: MODEL,
        input: 'What is the weather in Paris?',
        tools: [WEATHER],
        tool_choice: { type: 'function', name: 'get_weather' },
      })
      const deltas: string[] = []
      stream.on('response.function_call_arguments.delta', (e) => deltas.push(e.delta))
      const final = await stream.finalResponse()
      t.equal(final.status, 'completed')
      const call = final.output.find((item) => item.type === 'function_call')
      t.ok(call, 'a function_call item')
      if (call?.type !== 'function_call') return
      t.match(call.id, /^fc_/)
      t.match(call.call_id, /^call_/)
      t.equal(call.name, 'get_weather')
      t.ok(['Paris', 'Rome'].includes((JSON.parse(call.arguments) as { city: string }).city))
      t.ok(deltas.length > 0, 'arguments were streamed')
      t.equal(deltas.join(''), call.arguments)
      await rejectsWith(
        t,
        c.responses.create({ model: MODEL, previous_response_id: final.id, input: 'next', max_output_tokens: 2 }),
        { status: 400, param: 'input', message: /No tool output found for function call/ },
      )
      const answer = await c.responses.create({
        model: MODEL,
        previous_response_id: final.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temperature":21}' }],
        tools: [WEATHER],
        max_output_tokens: 4,
      })
      t.equal(answer.status, 'incomplete')
      t.ok((answer.usage?.input_tokens ?? 0) > (final.usage?.input_tokens ?? 0), 'the call and output are in context')
      const items = await c.responses.inputItems.list(answer.id)
      t.equal(items.data[0]?.type, 'function_call_output')
    })

    t.test('text.format json_schema is enforced', async (t) => {
      const r = await c.responses.create({
        model: MODEL,
        input: 'Pick a color',
        text: {
          format: {
            type: 'json_schema',
            name: 'color',
            strict: true,
            schema: {
              type: 'object',
              properties: { color: { type: 'string', enum: ['red', 'blue'] } },
              required: ['color'],
              additionalProperties: false,
            },
          },
        },
        max_output_tokens: 300,
        temperature: 0,
      })
      t.equal(r.status, 'completed')
      const parsed = JSON.parse(r.output_text) as { color: string }
      t.ok(['red', 'blue'].includes(parsed.color))
      t.equal(r.text?.format?.type, 'json_schema')
    })

    t.test('conversations: CRUD, items, and responses that accumulate in them', async (t) => {
      const empty = await c.conversations.create()
      t.match(empty.id, /^conv_[0-9A-Za-z]{24}$/)
      t.equal(empty.object, 'conversation')
      t.same(empty.metadata, {})
      const updated = await c.conversations.update(empty.id, { metadata: { a: '1' } })
      t.same(updated.metadata, { a: '1' })
      t.same((await c.conversations.retrieve(empty.id)).metadata, { a: '1' })
      t.same(await c.conversations.delete(empty.id), { id: empty.id, object: 'conversation.deleted', deleted: true })
      t.equal((await failure(c.conversations.retrieve(empty.id)))?.status, 404)

      const conv = await c.conversations.create({
        metadata: { topic: 'toys' },
        items: [{ type: 'message', role: 'user', content: 'Once upon a time' }],
      })
      const added = await c.conversations.items.create(conv.id, {
        items: [
          { type: 'message', role: 'assistant', content: 'there was a cat.' },
          { type: 'message', role: 'user', content: 'What next?' },
        ],
      })
      t.equal(added.data.length, 2)
      const one = await c.responses.create({ model: MODEL, conversation: conv.id, max_output_tokens: 4 })
      t.same(one.conversation, { id: conv.id })
      const two = await c.responses.create({
        model: MODEL,
        conversation: { id: conv.id },
        input: 'And then?',
        max_output_tokens: 4,
      })
      t.ok(
        (two.usage?.input_tokens ?? 0) > (one.usage?.input_tokens ?? 0) + 4,
        `the second turn sees the first: ${two.usage?.input_tokens} > ${one.usage?.input_tokens}`,
      )
      const items: OpenAI.Conversations.ConversationItem[] = []
      for await (const item of c.conversations.items.list(conv.id, { order: 'asc', limit: 2 })) items.push(item)
      t.same(
        items.map((item) => (item.type === 'message' ? item.role : item.type)),
        ['user', 'assistant', 'user', 'assistant', 'user', 'assistant'],
        'items accumulate in order, across pages',
      )
      t.equal(items[3]?.id, one.output[0]?.id, "the first response's output is an item")
      const last = items.at(-1)
      const lastId = last?.id
      if (!last || !lastId) return t.fail('a last item with an id')
      t.same(await c.conversations.items.retrieve(lastId, { conversation_id: conv.id }), last)
      const after = await c.conversations.items.delete(lastId, { conversation_id: conv.id })
      t.equal(after.id, conv.id, 'deleting an item replies with the conversation')
      t.equal((await failure(c.conversations.items.retrieve(lastId, { conversation_id: conv.id })))?.status, 404)
      t.equal((await c.conversations.items.list(conv.id)).data.length, 5)
      const both = await failure(
        c.responses.create({ model: MODEL, conversation: conv.id, previous_response_id: one.id, input: 'x' }),
      )
      t.match({ status: both?.status, param: both?.param }, { status: 400, param: 'conversation' })
      const missing = await failure(c.responses.create({ model: MODEL, conversation: 'conv_missing', input: 'x' }))
      t.equal(missing?.status, 404)
      const tooMany = await failure(
        c.conversations.items.create(conv.id, {
          items: Array.from({ length: 21 }, () => ({ type: 'message' as const, role: 'user' as const, content: 'x' })),
        }),
      )
      t.match({ status: tooMany?.status, param: tooMany?.param }, { status: 400, param: 'items' })
    })

    t.test("truncation 'auto' drops the oldest items to fit; 'disabled' is a 400", async (t) => {
      const long = 'Once upon a time there was a little girl who liked to play. '.repeat(30)
      const input = Array.from({ length: 8 }, (_, i) => ({ role: 'user' as const, content: `${i}: ${long}` }))
      const refused = await failure(c.responses.create({ model: MODEL, input, max_output_tokens: 2 }))
      t.match(
        { status: refused?.status, param: refused?.param, code: refused?.code },
        {
          status: 400,
          param: 'input',
          code: 'context_length_exceeded',
        },
      )
      const fitted = await c.responses.create({ model: MODEL, input, truncation: 'auto', max_output_tokens: 2 })
      t.equal(fitted.truncation, 'auto')
      t.equal(fitted.usage?.output_tokens, 2)
      const one = await c.responses.inputTokens.count({ model: MODEL, input: input.slice(-1) })
      t.ok(
        (fitted.usage?.input_tokens ?? 0) >= one.input_tokens,
        `it kept at least the newest item: ${fitted.usage?.input_tokens} >= ${one.input_tokens}`,
      )
    })

    t.test('bad input is a 400 naming the field', async (t) => {
      await rejectsWith(t, c.responses.create({ model: MODEL, input: 'x', tools: [{ type: 'web_search' }] }), {
        status: 400,
        param: 'tools[0].type',
        message: /web_search/,
      })
      await rejectsWith(
        t,
        c.responses.create({ model: MODEL, input: 'x', tools: [{ type: 'code_interpreter', container: 'auto' }] }),
        { status: 400, param: 'tools[0].type', message: /code_interpreter/ },
      )
      await rejectsWith(t, c.responses.create({ model: MODEL, input: 'x', include: ['file_search_call.results'] }), {
        status: 400,
        param: 'include',
        message: /file_search_call\.results/,
      })
      await rejectsWith(t, c.responses.create({ model: MODEL, input: 'x', max_output_tokens: 0 }), {
        status: 400,
        param: 'max_output_tokens',
      })
      await rejectsWith(
        t,
        c.responses.create({
          model: MODEL,
          input: [{ role: 'user', content: [{ type: 'input_image', detail: 'auto', image_url: 'data:,' }] }],
        }),
        { status: 400, param: 'input[0].content[0]' },
      )
      await rejectsWith(t, c.responses.create({ model: MODEL, input: 'x', previous_response_id: 'resp_nope' }), {
        status: 400,
        param: 'previous_response_id',
      })
      await rejectsWith(t, c.responses.create({ model: 'nope', input: 'x' }), { status: 404, param: 'model' })
      await rejectsWith(t, c.responses.retrieve('resp_missing'), { status: 404 })
      // an error before the first token keeps its own status on a stream request too
      const raw = await postJson(`${s.url}/v1/responses`, {
        model: MODEL,
        input: 'x',
        stream: true,
        tools: [WEATHER],
        tool_choice: { type: 'function', name: 'missing' },
      })
      t.equal(raw.status, 400)
      const ok = await postJson(`${s.url}/v1/responses`, {
        model: MODEL,
        input: 'x',
        stream: true,
        max_output_tokens: 2,
      })
      const data = (await readSseData(ok)).map((d) => JSON.parse(d) as Event)
      t.equal(data[0]?.type, 'response.created')
      t.equal(data.at(-1)?.type, 'response.incomplete')
    })
  })
}
