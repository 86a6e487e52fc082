import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type OpenAI from 'openai'
import t from 'tap'
import { startBundleServer } from '../helpers/bundle-server.js'
import { REPO_ROOT } from '../helpers/paths.js'
import { waitForResponse } from '../helpers/responses.js'

const DIST = path.join(REPO_ROOT, 'dist')
const MODEL = 'stories260K'

/** A response without the SDK-computed `output_text`. */
function plain(response: OpenAI.Responses.Response): Omit<OpenAI.Responses.Response, 'output_text'> {
  const { output_text: _text, ...rest } = response
  return rest
}

async function allItems(client: OpenAI, id: string): Promise<OpenAI.Conversations.ConversationItem[]> {
  const items: OpenAI.Conversations.ConversationItem[] = []
  for await (const item of client.conversations.items.list(id, { order: 'asc', limit: 100 })) items.push(item)
  return items
}

t.test(
  'kill -9 loses no acknowledged response or conversation item; queued background work completes after the restart',
  async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oxillama-responses-'))
    t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
    const first = await startBundleServer(DIST, dataDir, { args: ['--parallel', '1'] }) // one slot: the queue is real
    t.teardown(() => first.kill())
    const c = first.client
    const story = { model: MODEL, input: 'Once upon a time', max_output_tokens: 8, temperature: 0 }
    const done = await c.responses.create(story)
    const conversation = await c.conversations.create({
      metadata: { k: 'v' },
      items: [{ type: 'message', role: 'user', content: 'Once upon a time' }],
    })
    const turn = await c.responses.create({ model: MODEL, conversation: conversation.id, max_output_tokens: 4 })
    const items = await allItems(c, conversation.id)
    t.equal(items.length, 2, 'the first item and the answer')
    // a long background response holds the only slot; the next one waits queued behind it
    const long = await c.responses.create({
      model: MODEL,
      input: 'Tell me a long story',
      max_output_tokens: 1800,
      background: true,
    })
    const cut = await waitForResponse(c, long.id, (r) => r.status === 'in_progress' && r.output_text.length > 0)
    const queued = await c.responses.create({ ...story, background: true })
    t.equal((await c.responses.retrieve(queued.id)).status, 'queued', 'the second background response waits')
    t.same(await first.kill(), { code: null, signal: 'SIGKILL' })

    const second = await startBundleServer(DIST, dataDir, { args: ['--parallel', '1'] })
    t.teardown(() => second.kill())
    const again = second.client
    t.same(plain(await again.responses.retrieve(done.id)), plain(done), 'the stored response')
    t.same(plain(await again.responses.retrieve(turn.id)), plain(turn), 'the response in the conversation')
    t.same(await again.conversations.retrieve(conversation.id), conversation, 'the conversation')
    t.same(await allItems(again, conversation.id), items, 'every conversation item, in order')
    t.match(second.stderr(), /Background responses after restart: 1 queued again, 1 failed/)

    const failed = await again.responses.retrieve(long.id)
    t.equal(failed.status, 'failed', 'the response cut short is failed')
    t.equal(failed.error?.code, 'server_error')
    t.ok(
      failed.output_text.length > 0 && failed.output_text.startsWith(cut.output_text),
      'its stored output is kept (at least what was retrieved before the kill)',
    )
    const message = failed.output[0]
    t.equal(message?.type === 'message' && message.status, 'incomplete', 'its open message ends incomplete')
    const replayed: string[] = []
    for await (const event of await again.responses.retrieve(long.id, { stream: true })) replayed.push(event.type)
    t.equal(replayed.at(-1), 'response.failed', 'its stored stream ends with response.failed')

    const finished = await waitForResponse(again, queued.id)
    t.equal(finished.status, 'incomplete', 'the queued response ran after the restart')
    t.equal(finished.output_text, done.output_text, 'with the text the same request gave before')
  },
)
