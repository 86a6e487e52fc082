import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import t from 'tap'
import { openPgliteStore } from '../../../src/store/pglite.js'
import { REPO_ROOT } from '../../helpers/paths.js'
import { tempDir } from '../../helpers/store.js'

const WRITER = path.join(REPO_ROOT, 'test', 'helpers', 'store-writer.ts')

t.test('every write acknowledged before kill -9 is there after reopening', async (t) => {
  const dir = await tempDir(t)
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, '50'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))

  let threadId = ''
  const acknowledged: string[] = []
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, id] = line.split(' ')
    if (kind === 'thread' && id !== undefined) threadId = id
    if (kind === 'msg' && id !== undefined) acknowledged.push(id)
    // Kill in the middle of the stream of writes, while the child is still committing
    if (acknowledged.length === 20) {
      child.kill('SIGKILL')
      break
    }
  }
  t.equal(await exited, 'SIGKILL', 'the writer died by SIGKILL, without closing the store')
  t.equal(acknowledged.length, 20)

  const store = await openPgliteStore(dir) // also proves the dead writer's lock is taken over
  t.teardown(() => store.close())
  t.not(await store.threads.get(threadId), null, 'the thread survived')
  const stored = (await store.messages.list(threadId, { order: 'asc', limit: 100 })).data.map((m) => m.id)
  t.same(stored.slice(0, acknowledged.length), acknowledged, 'every acknowledged message, in order')
  t.ok(stored.length <= 50)
  // The store is usable after crash recovery
  const next = await store.messages.create(threadId, { role: 'user', content: 'after the crash' })
  t.equal((await store.messages.list(threadId)).first_id, next.id)
})
