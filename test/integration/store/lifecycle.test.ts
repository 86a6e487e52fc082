import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { spawn } from 'node:child_process'
import t from 'tap'
import { openPgliteStore } from '../../../src/store/pglite.js'
import { REPO_ROOT } from '../../helpers/paths.js'
import { openTempStore, runInitFor, tempDir } from '../../helpers/store.js'

const STORE_WRITER = path.join(REPO_ROOT, 'test', 'helpers', 'store-writer.ts')

t.test('reopening a data directory keeps every object and does not re-run migrations', async (t) => {
  const dir = await tempDir(t)
  const first = await openPgliteStore(dir)
  const assistant = await first.assistants.create({ model: 'm', metadata: { a: '1' } })
  const thread = await first.threads.create({ messages: [{ role: 'user', content: 'persist me' }] })
  const run = await first.runs.create(thread.id, runInitFor(assistant))
  const step = await first.steps.create(
    { thread_id: thread.id, run_id: run.id },
    { type: 'message_creation', step_details: { type: 'message_creation', message_creation: { message_id: 'msg_x' } } },
  )
  const messages = await first.messages.list(thread.id)
  await first.close()

  const second = await openPgliteStore(dir)
  t.teardown(() => second.close())
  t.same(await second.assistants.get(assistant.id), assistant)
  t.same(await second.threads.get(thread.id), thread)
  t.same(await second.messages.list(thread.id), messages)
  t.same(await second.runs.get(thread.id, run.id), run)
  t.same(await second.steps.get({ thread_id: thread.id, run_id: run.id }, step.id), step)
  t.same(
    (await second.runs.listByStatus(['queued'])).map((r) => r.id),
    [run.id],
    'restart recovery finds the queued run',
  )
  // A second store on a fresh id sequence would collide with old seq values; new rows must sort after old ones
  const later = await second.messages.create(thread.id, { role: 'user', content: 'after reopen' })
  t.equal((await second.messages.list(thread.id)).first_id, later.id)
})

t.test('a second open of a directory in use fails with locked; after close it opens', async (t) => {
  const dir = await tempDir(t)
  const store = await openPgliteStore(dir)
  t.equal((await readdir(path.join(dir, 'lock'))).filter((name) => name.endsWith('.sock')).length, 1, 'one lock socket')
  await t.rejects(openPgliteStore(dir, { lockWaitMs: 200 }), {
    name: 'StoreError',
    code: 'locked',
    message: new RegExp(`is in use by another server \\(process ${process.pid} on `),
  })
  await store.close()
  await store.close() // twice is fine
  await t.rejects(store.threads.get('thread_x'), { name: 'StoreError', code: 'closed' })
  const again = await openPgliteStore(dir)
  t.teardown(() => again.close())
  t.equal(await again.threads.get('thread_x'), null)
})

t.test('concurrent creates in different threads all land, each thread in its own order', async (t) => {
  const { store } = await openTempStore(t)
  const threads = await Promise.all(Array.from({ length: 8 }, () => store.threads.create()))
  const perThread = 15
  const created = await Promise.all(
    threads.map(async (thread) => {
      const ids: string[] = []
      for (let i = 0; i < perThread; i++)
        ids.push((await store.messages.create(thread.id, { role: 'user', content: `${thread.id}#${i}` })).id)
      return ids
    }),
  )
  const listed = await Promise.all(
    threads.map((thread) => store.messages.list(thread.id, { order: 'asc', limit: 100 })),
  )
  t.same(
    listed.map((page) => page.data.map((m) => m.id)),
    created,
  )
  t.ok(listed.every((page, i) => page.data.every((m) => m.thread_id === threads[i]?.id)))
})

t.test('concurrent run creates on one thread: exactly one wins, the rest conflict', async (t) => {
  const { store } = await openTempStore(t)
  const assistant = await store.assistants.create({ model: 'm' })
  const thread = await store.threads.create()
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, () => store.runs.create(thread.id, runInitFor(assistant))),
  )
  const won = results.filter((r) => r.status === 'fulfilled')
  t.equal(won.length, 1)
  t.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as { code?: string }).code === 'conflict'))
  t.equal((await store.runs.list(thread.id)).data.length, 1)
})

t.test(
  'a lock left by a killed process is taken over at once; a live holder in another process is refused',
  async (t) => {
    const dir = await tempDir(t)
    const holder = spawn(process.execPath, ['--import', 'tsx', STORE_WRITER, dir, '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    t.teardown(() => holder.kill('SIGKILL'))
    let out = ''
    holder.stdout.setEncoding('utf8')
    await new Promise<void>((resolve) =>
      holder.stdout.on('data', (text: string) => ((out += text), /done\n/.test(out) && resolve())),
    )
    await t.rejects(openPgliteStore(dir, { lockWaitMs: 300 }), {
      code: 'locked',
      message: new RegExp(`process ${holder.pid} `),
    })
    holder.kill('SIGKILL')
    await new Promise((resolve) => holder.once('exit', resolve))
    const store = await openPgliteStore(dir)
    t.teardown(() => store.close())
    const thread = /thread (\S+)/.exec(out)?.[1] ?? ''
    t.ok(await store.threads.get(thread), "the dead holder's acknowledged thread is there")
  },
)
