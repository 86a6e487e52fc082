import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { DownloadError } from '../../../src/acquire/download-error.js'
import { downloadFile, type DownloadProgress } from '../../../src/acquire/download.js'
import { startModelFileServer, type ModelFileServer } from '../../helpers/model-file-server.js'
import { modelPath } from '../../helpers/paths.js'

// From /work/shared/models/MODELS.md
const STORIES_SHA256 = '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d'
const STORIES_SIZE = 1_185_376

async function setup(t: Test): Promise<{ server: ModelFileServer; dir: string }> {
  const server = await startModelFileServer()
  const dir = await mkdtemp(path.join(tmpdir(), 'oxillama-download-'))
  t.teardown(async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { server, dir }
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
}

function leftovers(dest: string): string[] {
  return [`${dest}.part`, `${dest}.lock`].filter((file) => existsSync(file))
}

t.test('downloadFile() follows a redirect, reports progress and leaves only the verified file', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'sub', 'stories260K.gguf')
  const seen: DownloadProgress[] = []
  const result = await downloadFile(`${server.origin}/redirect/stories260K.gguf`, dest, {
    sha256: STORIES_SHA256.toUpperCase(),
    onProgress: (p) => seen.push(p),
  })
  t.equal(result, dest)
  t.equal(await sha256Of(dest), STORIES_SHA256)
  t.same(leftovers(dest), [])
  t.same(
    server.requests.map((r) => r.path),
    ['/redirect/stories260K.gguf', '/files/stories260K.gguf'],
  )
  t.same(seen.at(-1), { received: STORIES_SIZE, total: STORIES_SIZE })
  t.ok(seen.length > 1, 'progress arrives in several steps')
})

t.test('downloadFile() reports a 404 with the URL and leaves no file', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'nope.gguf')
  const url = `${server.origin}/missing/nope.gguf`
  const error = await downloadFile(url, dest).catch((e: unknown) => e)
  t.type(error, DownloadError)
  t.match(error, { code: 'http_status', status: 404, url })
  t.match((error as Error).message, url)
  t.match((error as Error).message, /not found/)
  t.notOk(existsSync(dest))
  t.same(leftovers(dest), [])
})

t.test('downloadFile() resumes an interrupted download with a Range request', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const url = `${server.origin}/cut/stories260K.gguf`
  const error = await downloadFile(url, dest, { sha256: STORIES_SHA256 }).catch((e: unknown) => e)
  t.match(error, { code: 'interrupted', url })
  t.match((error as Error).message, /connection lost after \d+ of 1185376 bytes/)
  t.notOk(existsSync(dest), 'no final file after the failed attempt')
  const partSize = (await stat(`${dest}.part`)).size
  t.ok(partSize > 0 && partSize < STORIES_SIZE, `partial file kept (${partSize} bytes)`)

  await downloadFile(url, dest, { sha256: STORIES_SHA256 })
  const gets = server.requestsTo('/cut/')
  t.equal(gets.length, 2)
  t.equal(gets[0]?.range, null)
  t.equal(gets[1]?.range, `bytes=${partSize}-`)
  t.equal(await sha256Of(dest), STORIES_SHA256)
  t.same(leftovers(dest), [])
})

t.test('downloadFile() with retries resumes by itself within one call', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const logs: string[] = []
  await downloadFile(`${server.origin}/cut/stories260K.gguf`, dest, {
    retries: 2,
    retryDelayMs: 10,
    sha256: STORIES_SHA256,
    log: (m) => logs.push(m),
  })
  t.equal(await sha256Of(dest), STORIES_SHA256)
  const ranges = server.requestsTo('/cut/').map((r) => r.range)
  t.equal(ranges.length, 2)
  t.match(ranges[1], /^bytes=\d+-$/)
  t.match(logs.join('\n'), /retrying in 10 ms/)
})

t.test('downloadFile() restarts from zero when the server ignores Range', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  await writeFile(`${dest}.part`, Buffer.alloc(5000, 0xff)) // bytes that are not the file's start
  await downloadFile(`${server.origin}/norange/stories260K.gguf`, dest, { sha256: STORIES_SHA256 })
  t.equal(server.requests[0]?.range, 'bytes=5000-', 'it asked to resume')
  t.equal((await stat(dest)).size, STORIES_SIZE)
  t.equal(await sha256Of(dest), STORIES_SHA256)
})

t.test('downloadFile() finishes a complete .part on 416 and restarts an oversized one', async (t) => {
  const { server, dir } = await setup(t)
  const complete = path.join(dir, 'complete.gguf')
  await writeFile(`${complete}.part`, await readFile(modelPath('stories260K.gguf')))
  await downloadFile(`${server.origin}/files/stories260K.gguf`, complete, { sha256: STORIES_SHA256 })
  t.equal(await sha256Of(complete), STORIES_SHA256)
  t.same(
    server.requests.map((r) => r.range),
    [`bytes=${STORIES_SIZE}-`],
    'one request, answered 416',
  )

  const oversized = path.join(dir, 'oversized.gguf')
  await writeFile(`${oversized}.part`, Buffer.alloc(STORIES_SIZE + 100, 1))
  await downloadFile(`${server.origin}/files/stories260K.gguf`, oversized)
  t.equal(await sha256Of(oversized), STORIES_SHA256)
  t.same(
    server.requests.slice(1).map((r) => r.range),
    [`bytes=${STORIES_SIZE + 100}-`, null],
  )
})

t.test('downloadFile() deletes the file and names URL, expected and actual on a sha256 mismatch', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const url = `${server.origin}/files/stories260K.gguf`
  const wrong = '0'.repeat(64)
  const error = await downloadFile(url, dest, { sha256: wrong }).catch((e: unknown) => e)
  t.match(error, { code: 'checksum_mismatch', url })
  const message = (error as Error).message
  for (const part of [url, wrong, STORIES_SHA256]) t.match(message, part)
  t.notOk(existsSync(dest))
  t.same(leftovers(dest), [])
})

t.test('downloadFile() refuses a size that differs from expectedSize', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const error = await downloadFile(`${server.origin}/files/stories260K.gguf`, dest, { expectedSize: 1000 }).catch(
    (e: unknown) => e,
  )
  t.match(error, { code: 'size_mismatch' })
  t.match((error as Error).message, /expected 1000 bytes but got 1185376/)
  t.notOk(existsSync(dest))
})

t.test('downloadFile() reuses a cached file without a second GET', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const url = `${server.origin}/files/stories260K.gguf`
  await downloadFile(url, dest)
  await downloadFile(url, dest)
  t.same(
    server.requests.map((r) => r.method),
    ['GET', 'HEAD'],
    'size checked with HEAD only',
  )
  await downloadFile(url, dest, { sha256: STORIES_SHA256 })
  t.equal(server.requests.length, 2, 'a matching sha256 needs no request at all')

  await writeFile(dest, 'truncated') // a damaged cache entry is replaced
  await downloadFile(url, dest)
  t.same(
    server.requests.slice(2).map((r) => r.method),
    ['HEAD', 'GET'],
  )
  t.equal(await sha256Of(dest), STORIES_SHA256)
})

t.test('downloadFile() keeps a cached file when the server cannot be reached', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const url = `${server.origin}/files/stories260K.gguf`
  await downloadFile(url, dest)
  await server.close()
  const logs: string[] = []
  t.equal(await downloadFile(url, dest, { log: (m) => logs.push(m) }), dest)
  t.match(logs.join('\n'), /using the cached file/)
})

t.test('downloadFile() lets one of two concurrent calls download, the other reuses it', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const url = `${server.origin}/files/stories260K.gguf`
  const options = { sha256: STORIES_SHA256 }
  await Promise.all([downloadFile(url, dest, options), downloadFile(url, dest, options)])
  t.equal(server.requests.filter((r) => r.method === 'GET').length, 1)
  t.equal(await sha256Of(dest), STORIES_SHA256)
  t.same(leftovers(dest), [])
})

t.test('downloadFile() takes over a lock left by a dead process', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const dead = spawnSync(process.execPath, ['-e', '0']).pid
  await writeFile(`${dest}.lock`, JSON.stringify({ pid: dead, host: hostname() }))
  await downloadFile(`${server.origin}/files/stories260K.gguf`, dest, { sha256: STORIES_SHA256 })
  t.equal(await sha256Of(dest), STORIES_SHA256)
  t.same(leftovers(dest), [])
})

t.test('downloadFile() waits for a live lock holder and stops when aborted', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  await writeFile(`${dest}.lock`, JSON.stringify({ pid: process.pid, host: hostname() }))
  const logs: string[] = []
  const error = await downloadFile(`${server.origin}/files/stories260K.gguf`, dest, {
    signal: AbortSignal.timeout(400),
    log: (m) => logs.push(m),
  }).catch((e: unknown) => e)
  t.match(error, { name: /AbortError|TimeoutError/ })
  t.match(logs.join('\n'), /Waiting for another process/)
  t.equal(server.requests.length, 0)
  t.ok(existsSync(`${dest}.lock`), 'a lock it does not own is left alone')
})

t.test('downloadFile() sends Authorization to the first origin only', async (t) => {
  const cdn = await startModelFileServer()
  const origin = await startModelFileServer({ elsewhere: cdn.origin })
  const dir = await mkdtemp(path.join(tmpdir(), 'oxillama-download-'))
  t.teardown(async () => {
    await Promise.all([cdn.close(), origin.close()])
    await rm(dir, { recursive: true, force: true })
  })
  const dest = path.join(dir, 'stories260K.gguf')
  await downloadFile(`${origin.origin}/elsewhere/stories260K.gguf`, dest, {
    headers: { Authorization: 'Bearer secret' },
  })
  t.equal(origin.requests[0]?.authorization, 'Bearer secret')
  t.equal(cdn.requests[0]?.authorization, null)
  t.equal(await sha256Of(dest), STORIES_SHA256)
})

t.test('downloadFile() stops on abort mid-body, keeps the .part and releases the lock', async (t) => {
  const { server, dir } = await setup(t)
  const dest = path.join(dir, 'stories260K.gguf')
  const url = `${server.origin}/files/stories260K.gguf`
  const controller = new AbortController()
  const error = await downloadFile(url, dest, {
    signal: controller.signal,
    onProgress: ({ received }) => {
      if (received > 0) controller.abort()
    },
  }).catch((e: unknown) => e)
  t.match(error, { name: 'AbortError' })
  t.notOk(existsSync(dest))
  t.ok(existsSync(`${dest}.part`), 'the partial file is kept for a later resume')
  t.notOk(existsSync(`${dest}.lock`))
  await downloadFile(url, dest, { sha256: STORIES_SHA256 })
  t.equal(await sha256Of(dest), STORIES_SHA256)
})
