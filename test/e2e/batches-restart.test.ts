import fs from 'node:fs/promises'
import path from 'node:path'
import { toFile } from 'openai'
import t from 'tap'
import { partName } from '../../src/store/file-blobs.js'
import { newId } from '../../src/store/ids.js'
import type { Upload } from '../../src/schemas/uploads.js'
import { createChatBatch, expectEveryLineOnce, usageSum, waitForBatch } from '../helpers/batches.js'
import { freshDataDir } from '../helpers/data-dir.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const LINES = 24

/** Writes a pending upload whose `expires_at` has passed, with one part on disk, as if abandoned an hour ago. */
async function abandonedUpload(s: TestServer): Promise<Upload> {
  const { store, blobs } = s.app.deps
  const now = Math.floor(Date.now() / 1000)
  const upload = await store.uploads.create({
    id: newId('upload'),
    object: 'upload',
    bytes: 5,
    created_at: now - 7200,
    expires_at: now - 3600,
    filename: 'abandoned.txt',
    purpose: 'user_data',
    status: 'pending',
    file: null,
  })
  const part = { id: newId('part'), object: 'upload.part' as const, created_at: now - 7000, upload_id: upload.id }
  const bytes = (async function* () {
    yield Buffer.from('hello')
  })()
  await blobs.commit(await blobs.write(bytes), partName(upload.id, part.id))
  await store.uploads.addPart(part, 5)
  return upload
}

// One restart covers what only a restart shows; the first server listens on uWS, the second on node:http.
t.test('batches and uploads across a restart', async (t) => {
  const dataDir = await freshDataDir('oxillama-batch-restart-')
  t.teardown(() => fs.rm(dataDir, { recursive: true, force: true }))
  const partsDir = path.join(dataDir, 'files', 'parts')

  // the first engine aborts (a real wasm abort) on its first result: the batch's first request, in flight
  const first = await startTestServer({
    transport: 'uws',
    dataDir,
    app: { engine: { abortOnFirstResult: true, restartDelayMs: [50, 50] } },
  })
  let firstOpen = true
  t.teardown(() => (firstOpen ? first.close() : undefined))
  const abandoned = await abandonedUpload(first)
  const live = await first.client.uploads.create({
    bytes: 3,
    filename: 'live.txt',
    mime_type: 'text/plain',
    purpose: 'user_data',
  })
  await first.client.uploads.parts.create(live.id, { data: await toFile(Buffer.from('abc'), 'p') })
  t.same(await fs.readdir(partsDir).then((names) => names.sort()), [abandoned.id, live.id].sort())

  const { batch: created, customIds } = await createChatBatch(first.client, LINES, 'req-', 32)
  const running = await waitForBatch(first.client, created.id, (b) => (b.request_counts?.completed ?? 0) >= 2)
  t.equal(first.app.deps.model.engine?.stats.restarts, 1, 'the engine crashed under the batch and restarted')
  t.ok((first.app.deps.batches?.retries ?? 0) >= 1, 'the request the crash failed (503) was sent again')
  t.match(running, { status: 'in_progress', request_counts: { failed: 0 } }, 'and not counted failed')

  // a graceful stop mid-batch: the requests it cuts short are not recorded, so the restart runs them
  await first.close()
  firstOpen = false

  const second = await startTestServer({ transport: 'node', dataDir })
  t.teardown(() => second.close())
  const { store } = second.app.deps
  t.equal((await store.uploads.get(abandoned.id))?.status, 'expired', 'the startup sweep expired the abandoned upload')
  t.same(await fs.readdir(partsDir), [live.id], "and deleted its parts' bytes; a live upload keeps its parts")
  t.equal((await store.uploads.get(live.id))?.status, 'pending')
  const late = await second.client.uploads.cancel(abandoned.id).catch((error: { status?: number }) => error)
  t.equal(late.status, 400, 'an expired upload takes no more calls')

  const { batch, output } = await expectEveryLineOnce(t, second.client, created.id, customIds)
  t.same(batch.usage, usageSum(output), 'usage counts every line once, across the restart')
})
