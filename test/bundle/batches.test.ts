import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { createChatBatch, expectEveryLineOnce, waitForBatch } from '../helpers/batches.js'
import { startBundleServer } from '../helpers/bundle-server.js'
import { REPO_ROOT } from '../helpers/paths.js'

const DIST = path.join(REPO_ROOT, 'dist')
const LINES = 30

t.test('a batch killed with kill -9 mid-run resumes after a restart: every custom_id exactly once', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oxillama-batch-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const first = await startBundleServer(DIST, dataDir, { args: ['--parallel', '1'] })
  t.teardown(() => first.kill())
  const { batch: created, customIds } = await createChatBatch(first.client, LINES, 'req-', 48)
  const before = await waitForBatch(first.client, created.id, (b) => (b.request_counts?.completed ?? 0) >= 3)
  t.equal(before.status, 'in_progress')
  t.same(await first.kill(), { code: null, signal: 'SIGKILL' })

  const second = await startBundleServer(DIST, dataDir, { args: ['--parallel', '1'] })
  t.teardown(() => second.kill())
  const resumed = await second.client.batches.retrieve(created.id)
  t.ok((resumed.request_counts?.completed ?? 0) >= 3, 'requests finished before the kill are still counted')
  await expectEveryLineOnce(t, second.client, created.id, customIds)
})
