import t from 'tap'
import type { Message } from '../../../src/schemas/messages.js'
import type { ListPage, ListQuery } from '../../../src/schemas/shared.js'
import { openTempStore, runInitFor } from '../../helpers/store.js'

const { store } = await openTempStore(t)

// 45 messages created in one call share one created_at, so order rests on seq alone
const thread = await store.threads.create({
  messages: Array.from({ length: 45 }, (_, i) => ({ role: 'user' as const, content: `m${i}` })),
})
const ascending = (await store.messages.list(thread.id, { order: 'asc', limit: 100 })).data.map((m) => m.id)
const descending = [...ascending].reverse()

function ids(page: ListPage<Message>): string[] {
  return page.data.map((m) => m.id)
}

async function walk(query: ListQuery): Promise<Array<ListPage<Message>>> {
  const pages: Array<ListPage<Message>> = []
  let after: string | undefined
  for (;;) {
    const page = await store.messages.list(thread.id, after === undefined ? query : { ...query, after })
    pages.push(page)
    if (!page.has_more || page.last_id === null) return pages
    after = page.last_id
  }
}

t.test('the 45 messages keep their creation order', async (t) => {
  t.equal(ascending.length, 45)
  const texts = (await store.messages.list(thread.id, { order: 'asc', limit: 100 })).data.map((m) =>
    m.content[0]?.type === 'text' ? m.content[0].text.value : '',
  )
  t.same(
    texts,
    Array.from({ length: 45 }, (_, i) => `m${i}`),
  )
})

for (const order of ['desc', 'asc'] as const) {
  const expected = order === 'asc' ? ascending : descending
  t.test(`order=${order}: pages of 20 by after cover every message once, has_more right`, async (t) => {
    const pages = await walk(order === 'desc' ? {} : { order })
    t.same(
      pages.map((p) => p.data.length),
      [20, 20, 5],
    )
    t.same(
      pages.map((p) => p.has_more),
      [true, true, false],
    )
    t.same(pages.flatMap(ids), expected)
    for (const page of pages) {
      t.equal(page.object, 'list')
      t.equal(page.first_id, page.data[0]?.id)
      t.equal(page.last_id, page.data.at(-1)?.id)
    }
  })

  t.test(`order=${order}: before returns the page just before the cursor, in list order`, async (t) => {
    const last = expected[44] as string
    const page = await store.messages.list(thread.id, { order, before: last, limit: 20 })
    t.same(ids(page), expected.slice(24, 44))
    t.equal(page.has_more, true)
    t.equal(page.first_id, expected[24])
    t.equal(page.last_id, expected[43])
    const head = await store.messages.list(thread.id, { order, before: expected[24] as string, limit: 20 })
    t.same(ids(head), expected.slice(4, 24))
    t.equal(head.has_more, true)
    const start = await store.messages.list(thread.id, { order, before: expected[4] as string, limit: 20 })
    t.same(ids(start), expected.slice(0, 4))
    t.equal(start.has_more, false)
  })

  t.test(`order=${order}: after and before together bound the page`, async (t) => {
    const page = await store.messages.list(thread.id, {
      order,
      after: expected[9] as string,
      before: expected[15] as string,
    })
    t.same(ids(page), expected.slice(10, 15))
    t.equal(page.has_more, false)
    const tight = await store.messages.list(thread.id, {
      order,
      after: expected[9] as string,
      before: expected[15] as string,
      limit: 3,
    })
    t.same(ids(tight), expected.slice(10, 13))
    t.equal(tight.has_more, true)
  })
}

t.test('an empty list has null ids; the last page has has_more false', async (t) => {
  const empty = await store.threads.create()
  t.same(await store.messages.list(empty.id), {
    object: 'list',
    data: [],
    first_id: null,
    last_id: null,
    has_more: false,
  })
  const exact = await store.messages.list(thread.id, { limit: 45 })
  t.equal(exact.has_more, false)
  t.equal(exact.data.length, 45)
})

t.test('a cursor that names no message of this thread is invalid_cursor with its param', async (t) => {
  const other = await store.threads.create({ messages: [{ role: 'user', content: 'x' }] })
  const foreign = (await store.messages.list(other.id)).data[0]?.id as string
  await t.rejects(store.messages.list(thread.id, { after: foreign }), {
    name: 'StoreError',
    code: 'invalid_cursor',
    param: 'after',
  })
  await t.rejects(store.messages.list(thread.id, { before: 'msg_nope' }), {
    name: 'StoreError',
    code: 'invalid_cursor',
    param: 'before',
  })
})

t.test('run_id filters messages, and paginates within the filter', async (t) => {
  const assistant = await store.assistants.create({ model: 'm' })
  const filtered = await store.threads.create({ messages: [{ role: 'user', content: 'q' }] })
  const run = await store.runs.create(filtered.id, runInitFor(assistant))
  const made: string[] = []
  for (let i = 0; i < 5; i++) {
    made.push(
      (
        await store.messages.create(filtered.id, {
          role: 'assistant',
          content: `a${i}`,
          run_id: run.id,
          assistant_id: assistant.id,
        })
      ).id,
    )
    await store.messages.create(filtered.id, { role: 'user', content: `u${i}` })
  }
  const first = await store.messages.list(filtered.id, { run_id: run.id, order: 'asc', limit: 3 })
  t.same(ids(first), made.slice(0, 3))
  t.equal(first.has_more, true)
  const rest = await store.messages.list(filtered.id, { run_id: run.id, order: 'asc', after: first.last_id as string })
  t.same(ids(rest), made.slice(3))
  t.equal(rest.has_more, false)
  t.same(ids(await store.messages.list(filtered.id, { run_id: 'run_other' })), [])
})

t.test('assistants, runs and steps page the same way', async (t) => {
  const fresh = await openTempStore(t)
  const made: string[] = []
  for (let i = 0; i < 7; i++) made.push((await fresh.store.assistants.create({ model: `m${i}` })).id)
  const first = await fresh.store.assistants.list({ limit: 4 })
  t.same(
    first.data.map((a) => a.id),
    [...made].reverse().slice(0, 4),
  )
  const second = await fresh.store.assistants.list({ limit: 4, after: first.last_id as string })
  t.same(
    second.data.map((a) => a.id),
    [...made].reverse().slice(4),
  )
  t.equal(second.has_more, false)

  const assistant = await fresh.store.assistants.get(made[0] as string)
  const runThread = await fresh.store.threads.create()
  const runs: string[] = []
  for (let i = 0; i < 3; i++) {
    const run = await fresh.store.runs.create(runThread.id, runInitFor(assistant!))
    runs.push(run.id)
    await fresh.store.runs.update(runThread.id, run.id, { status: 'completed' })
  }
  t.same(
    (await fresh.store.runs.list(runThread.id, { order: 'asc', limit: 2 })).data.map((r) => r.id),
    runs.slice(0, 2),
  )
  const ref = { thread_id: runThread.id, run_id: runs[2] as string }
  const steps: string[] = []
  for (let i = 0; i < 3; i++) {
    steps.push(
      (
        await fresh.store.steps.create(ref, {
          type: 'message_creation',
          step_details: { type: 'message_creation', message_creation: { message_id: `msg_${i}` } },
        })
      ).id,
    )
  }
  const stepPage = await fresh.store.steps.list(ref, { before: steps[0] as string })
  t.same(
    stepPage.data.map((s) => s.id),
    [steps[2], steps[1]],
    'desc: before the oldest are the two newer ones',
  )
  await t.rejects(fresh.store.steps.list({ thread_id: runThread.id, run_id: 'run_missing' }), {
    code: 'not_found',
    kind: 'run',
  })
})
