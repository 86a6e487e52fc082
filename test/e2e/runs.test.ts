import t from 'tap'
import { startTestServer, TRANSPORTS } from '../helpers/server.js'

// stories260K never ends a chat turn by itself: a small JSON answer ends runs naturally (status completed)
const shortAnswer = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'answer',
    schema: { type: 'object', properties: { answer: { type: 'string', maxLength: 16 } }, required: ['answer'] },
  },
}
const weather = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', enum: ['Paris', 'Rome'] } },
      required: ['city'],
    },
  },
}

/** The HTTP status a rejected SDK call failed with. */
async function statusOf(call: Promise<unknown>): Promise<number | null> {
  return call.then(
    () => null,
    (error: { status?: number }) => error.status ?? null,
  )
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: Assistants runs through the openai SDK`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    const { client } = s
    const assistant = await client.beta.assistants.create({
      model: 'stories260K',
      instructions: 'You tell stories.',
      response_format: shortAnswer,
    })

    t.test('runs.createAndPoll completes and leaves the answer in the thread', async (t) => {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Tell me a story' }] })
      const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id })
      t.equal(run.status, 'completed')
      t.ok(run.usage && run.usage.completion_tokens > 0)
      t.type(run.started_at, 'number')
      t.type(run.completed_at, 'number')
      const messages = await client.beta.threads.messages.list(thread.id, { order: 'asc' })
      const answer = messages.data[1]
      t.equal(answer?.role, 'assistant')
      t.equal(answer?.run_id, run.id)
      const text = answer?.content[0]?.type === 'text' ? answer.content[0].text.value : ''
      t.type((JSON.parse(text) as { answer: unknown }).answer, 'string')
      const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })
      t.equal(steps.data[0]?.type, 'message_creation')
      t.equal(steps.data[0]?.status, 'completed')
    })

    t.test('runs.stream emits textCreated, textDelta, messageDone and finalRun()', async (t) => {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hello' }] })
      const seen: string[] = []
      let deltas = ''
      const stream = client.beta.threads.runs
        .stream(thread.id, { assistant_id: assistant.id })
        .on('textCreated', () => seen.push('textCreated'))
        .on('textDelta', (delta) => {
          deltas += delta.value ?? ''
        })
        .on('messageDone', () => seen.push('messageDone'))
        .on('event', (e) => seen.push(e.event))
      const run = await stream.finalRun()
      t.equal(run.status, 'completed')
      t.ok(seen.includes('textCreated') && seen.includes('messageDone'))
      t.equal(
        seen
          .filter((e) => e.startsWith('thread.'))
          .slice(0, 3)
          .join(','),
        'thread.run.created,thread.run.queued,thread.run.in_progress',
      )
      const final = await stream.finalMessages()
      t.equal(
        final[0]?.content[0]?.type === 'text' ? final[0].content[0].text.value : null,
        deltas,
        'deltas add up to the message',
      )
    })

    t.test('threads.createAndRunStream starts with thread.created', async (t) => {
      const events: string[] = []
      const stream = client.beta.threads.createAndRunStream({
        assistant_id: assistant.id,
        thread: { messages: [{ role: 'user', content: 'Hi' }] },
      })
      for await (const event of stream) events.push(event.event)
      t.equal(events[0], 'thread.created')
      t.equal(events.at(-1), 'thread.run.completed')
    })

    t.test('function tool flow with tool_choice forcing it: submitToolOutputsAndPoll', async (t) => {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Rome?' }] })
      const run = await client.beta.threads.runs.createAndPoll(thread.id, {
        assistant_id: assistant.id,
        tools: [weather],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      })
      t.equal(run.status, 'requires_action')
      const call = run.required_action?.submit_tool_outputs.tool_calls[0]
      t.equal(call?.function.name, 'get_weather')
      t.ok(['Paris', 'Rome'].includes((JSON.parse(call?.function.arguments ?? '{}') as { city: string }).city))
      t.type(run.expires_at, 'number')
      t.equal(
        await statusOf(client.beta.threads.runs.submitToolOutputs(run.id, { thread_id: thread.id, tool_outputs: [] })),
        400,
        'every call needs an output',
      )
      const done = await client.beta.threads.runs.submitToolOutputsAndPoll(run.id, {
        thread_id: thread.id,
        tool_outputs: [{ tool_call_id: call?.id ?? '', output: '22C' }],
      })
      t.equal(done.status, 'completed')
      const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' })
      t.same(
        steps.data.map((st) => st.type),
        ['tool_calls', 'message_creation'],
      )
      const details = steps.data[0]?.step_details
      t.equal(
        details?.type === 'tool_calls' && details.tool_calls[0]?.type === 'function'
          ? details.tool_calls[0].function.output
          : null,
        '22C',
      )
    })

    t.test(
      'function tool flow streamed: requires_action, then submitToolOutputsStream into a new message',
      async (t) => {
        const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Paris?' }] })
        const first = client.beta.threads.runs.stream(thread.id, {
          assistant_id: assistant.id,
          tools: [weather],
          tool_choice: 'required',
        })
        let argDeltas = 0
        first.on('toolCallDelta', () => {
          argDeltas++
        })
        const waiting = await first.finalRun()
        t.equal(waiting.status, 'requires_action')
        t.ok(argDeltas > 1, 'arguments streamed as deltas')
        // runs default to parallel_tool_calls: the model may have made several calls, each needs an output
        const calls = waiting.required_action?.submit_tool_outputs.tool_calls ?? []
        t.ok(calls.length >= 1 && calls.every((c) => c.function.name === 'get_weather'))
        const second = client.beta.threads.runs.submitToolOutputsStream(waiting.id, {
          thread_id: thread.id,
          tool_outputs: calls.map((c) => ({ tool_call_id: c.id, output: 'sunny' })),
        })
        let created = 0
        second.on('messageCreated', () => {
          created++
        })
        const done = await second.finalRun()
        t.equal(done.status, 'completed')
        t.equal(created, 1, 'the answer is a newly created message')
      },
    )

    t.test('cancel while queued and while generating', async (t) => {
      const busy = await Promise.all(
        [1, 2].map(() => client.beta.threads.create({ messages: [{ role: 'user', content: 'Once' }] })),
      )
      const long = { assistant_id: assistant.id, response_format: 'auto' as const, max_completion_tokens: 1800 }
      const runs = await Promise.all(busy.map((th) => client.beta.threads.runs.create(th.id, long)))
      const third = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Once' }] })
      const queued = await client.beta.threads.runs.create(third.id, long)
      const cancelledQueued = await client.beta.threads.runs.cancel(queued.id, { thread_id: third.id })
      t.equal(cancelledQueued.status, 'cancelled', 'a queued run is cancelled at once (two slots are busy)')
      await new Promise((r) => setTimeout(r, 300))
      const target = runs[0]!
      const cancelling = await client.beta.threads.runs.cancel(target.id, { thread_id: target.thread_id })
      t.ok(['cancelling', 'cancelled'].includes(cancelling.status))
      const final = await client.beta.threads.runs.poll(target.id, { thread_id: target.thread_id })
      t.equal(final.status, 'cancelled')
      t.type(final.cancelled_at, 'number')
      const message = (await client.beta.threads.messages.list(target.thread_id, { run_id: target.id })).data[0]
      t.equal(message?.status, 'incomplete', 'the partial message is kept, marked incomplete')
      await client.beta.threads.runs.cancel(runs[1]!.id, { thread_id: runs[1]!.thread_id })
      t.equal(
        await statusOf(client.beta.threads.runs.cancel(target.id, { thread_id: target.thread_id })),
        400,
        'a cancelled run cannot be cancelled again',
      )
    })

    t.test('concurrent runs on different threads all complete', async (t) => {
      const threads = await Promise.all(
        [1, 2, 3, 4].map((i) => client.beta.threads.create({ messages: [{ role: 'user', content: `Story ${i}` }] })),
      )
      const runs = await Promise.all(
        threads.map((th) => client.beta.threads.runs.createAndPoll(th.id, { assistant_id: assistant.id })),
      )
      t.same(
        runs.map((r) => r.status),
        ['completed', 'completed', 'completed', 'completed'],
      )
    })

    t.test('one active run per thread; a message cannot be added while it runs', async (t) => {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Once' }] })
      const run = await client.beta.threads.runs.create(thread.id, {
        assistant_id: assistant.id,
        response_format: 'auto',
        max_completion_tokens: 1800,
      })
      t.equal(await statusOf(client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id })), 400)
      await client.beta.threads.runs.cancel(run.id, { thread_id: thread.id })
      await client.beta.threads.runs.poll(run.id, { thread_id: thread.id })
    })

    t.test('a streamed run whose client disconnects keeps running to completion', async (t) => {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hi' }] })
      const controller = new AbortController()
      const res = await fetch(`${s.url}/v1/threads/${thread.id}/runs`, {
        method: 'POST',
        signal: controller.signal,
        headers: { 'content-type': 'application/json', 'openai-beta': 'assistants=v2' },
        body: JSON.stringify({ assistant_id: assistant.id, stream: true }),
      })
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      let text = ''
      while (!text.includes('event: thread.message.delta'))
        text += new TextDecoder().decode((await reader.read()).value)
      controller.abort() // the client leaves mid-answer
      const runId = /"id":"(run_[^"]+)"/.exec(text)?.[1] ?? ''
      const run = await client.beta.threads.runs.poll(runId, { thread_id: thread.id })
      t.equal(run.status, 'completed')
      const answer = (await client.beta.threads.messages.list(thread.id, { run_id: runId })).data[0]
      t.equal(answer?.status, 'completed', 'the whole answer is in the store')
    })

    t.test('unknown ids and ids of another thread are 404', async (t) => {
      const a = await client.beta.threads.create()
      const b = await client.beta.threads.create({ messages: [{ role: 'user', content: 'x' }] })
      const run = await client.beta.threads.runs.createAndPoll(b.id, { assistant_id: assistant.id })
      t.equal(await statusOf(client.beta.threads.runs.retrieve(run.id, { thread_id: a.id })), 404)
      t.equal(await statusOf(client.beta.threads.runs.retrieve('run_nope', { thread_id: b.id })), 404)
      t.equal(await statusOf(client.beta.threads.runs.create('thread_nope', { assistant_id: assistant.id })), 404)
      t.equal(await statusOf(client.beta.threads.runs.create(a.id, { assistant_id: 'asst_nope' })), 404)
    })
  })
}
