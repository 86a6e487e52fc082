import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import OpenAI, { APIError, toFile } from 'openai'
import t from 'tap'
import { BodyStream, clientGone } from '../../src/http/body-stream.js'
import { createIncomingRequest } from '../../src/http/request.js'
import { startTestServer, TRANSPORTS, type TestServer } from '../helpers/server.js'

const MAX_FILE = 64 * 1024

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

/** Bytes that stress a multipart parser: CRLFs, dashes, a fake boundary, every byte value. */
function awkwardBytes(size: number): Buffer {
  const out = Buffer.alloc(size)
  const pattern = Buffer.concat([Buffer.from('\r\n--openai-boundary\r\n--\r\n'), Buffer.from([...Array(256).keys()])])
  for (let i = 0; i < size; i++) out[i] = pattern[i % pattern.length] ?? 0
  return out
}

async function content(client: OpenAI, id: string): Promise<Buffer> {
  const response = await client.files.content(id)
  return Buffer.from(await response.arrayBuffer())
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: files and uploads`, async (t) => {
    const s: TestServer = await startTestServer({ transport, args: ['--max-file-size', `${MAX_FILE}`] })
    t.teardown(() => s.close())
    const { client } = s
    const filesDir = path.join(s.dataDir, 'files')

    t.test('files.create with toFile stores the exact bytes and lists them', async (t) => {
      const bytes = awkwardBytes(40_000)
      const file = await client.files.create({ file: await toFile(bytes, 'data.bin'), purpose: 'batch' })
      t.match(file, { object: 'file', bytes: 40_000, filename: 'data.bin', purpose: 'batch', status: 'processed' })
      t.match(file.id, /^file-[0-9A-Za-z]{24}$/)
      t.equal(file.expires_at, file.created_at + 30 * 24 * 3600, 'batch files expire after 30 days by default')
      t.ok((await content(client, file.id)).equals(bytes), 'content returns the exact bytes')
      t.same(await client.files.retrieve(file.id), file)
      t.ok((await fs.readFile(path.join(filesDir, file.id))).equals(bytes), 'the bytes are on disk under the data dir')
    })

    t.test('files.create with a stream (chunked, no Content-Length) and expires_after', async (t) => {
      const source = path.join(s.dataDir, 'upload-source.jsonl')
      const bytes = awkwardBytes(50_000)
      await fs.writeFile(source, bytes)
      const file = await client.files.create({
        file: createReadStream(source),
        purpose: 'assistants',
        expires_after: { anchor: 'created_at', seconds: 3600 },
      })
      t.match(file, { bytes: 50_000, filename: 'upload-source.jsonl', purpose: 'assistants' })
      t.equal(file.expires_at, file.created_at + 3600)
      t.ok((await content(client, file.id)).equals(bytes))
    })

    t.test('a 12 MiB streamed upload passes through the paused body stream intact', async (t) => {
      s.app.deps.maxFileBytes = 16 * 1024 * 1024
      t.teardown(() => {
        s.app.deps.maxFileBytes = MAX_FILE
      })
      const source = path.join(s.dataDir, 'big.bin')
      const bytes = awkwardBytes(12 * 1024 * 1024)
      await fs.writeFile(source, bytes)
      const file = await client.files.create({ file: createReadStream(source), purpose: 'fine-tune' })
      t.equal(file.bytes, bytes.length)
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
      t.equal(sha(await content(client, file.id)), sha(bytes))
    })

    t.test('list filters by purpose, pages with after and orders both ways', async (t) => {
      const made = []
      for (const name of ['a.txt', 'b.txt', 'c.txt'])
        made.push(await client.files.create({ file: await toFile(Buffer.from(name), name), purpose: 'user_data' }))
      const ids = made.map((f) => f.id)
      const all = []
      for await (const f of client.files.list({ purpose: 'user_data', limit: 1, order: 'asc' })) all.push(f.id)
      t.same(all, ids, 'auto-pagination with limit 1 walks every file once, oldest first')
      const desc = await client.files.list({ purpose: 'user_data' })
      t.same(
        desc.data.map((f) => f.id),
        [...ids].reverse(),
      )
      const other = await client.files.list({ purpose: 'vision' })
      t.same(other.data, [])
      const bad = await failure(() => client.files.list({ after: 'file-nope' }))
      t.equal(bad.status, 400)
    })

    t.test('delete removes the record and the bytes', async (t) => {
      const file = await client.files.create({
        file: await toFile(Buffer.from('bye'), 'bye.txt'),
        purpose: 'user_data',
      })
      t.same(await client.files.delete(file.id), { id: file.id, object: 'file', deleted: true })
      t.equal((await failure(() => client.files.retrieve(file.id))).status, 404)
      t.equal((await failure(() => client.files.content(file.id))).status, 404)
      t.equal((await failure(() => client.files.delete(file.id))).status, 404)
      await t.rejects(fs.stat(path.join(filesDir, file.id)), { code: 'ENOENT' })
    })

    t.test('a bad purpose, a missing file, unknown and malformed ids, a file over the limit', async (t) => {
      const purpose = await failure(async () =>
        client.files.create({ file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'nonsense' as 'batch' }),
      )
      t.match(purpose, { status: 400, param: 'purpose' })
      const unknown = await failure(() => client.files.retrieve('file-000000000000000000000000'))
      t.match(unknown, { status: 404, message: /No file found with id 'file-000000000000000000000000'/ })
      t.equal((await failure(() => client.files.retrieve('not%00an id'))).status, 404)
      const big = await failure(async () =>
        client.files.create({ file: await toFile(awkwardBytes(MAX_FILE + 1), 'big.bin'), purpose: 'batch' }),
      )
      t.match(big, { status: 413, code: 'file_too_large', message: new RegExp(`${MAX_FILE} bytes`) })
      const missing = await fetch(`${s.url}/v1/files`, { method: 'POST', body: new FormData() })
      t.equal(missing.status, 400)
      const json = await fetch(`${s.url}/v1/files`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      t.match(await json.json(), { error: { code: 'unsupported_content_type' } })
      const leftovers = await fs.readdir(path.join(filesDir, 'tmp'))
      t.same(leftovers, [], 'refused uploads leave no temporary file')
    })

    t.test('an upload cut off mid-body lists no file and leaves no temporary file', async (t) => {
      const before = (await client.files.list({ limit: 100 })).data.length
      const stream = new BodyStream()
      const boundary = 'cut'
      stream.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n`))
      stream.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n`))
      stream.push(awkwardBytes(10_000))
      const reply = s.app.http.handle(
        createIncomingRequest('POST', '/v1/files', {
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
          stream,
        }),
      )
      stream.fail(clientGone())
      const response = await reply
      t.ok(response.status >= 400, 'the upload fails')
      t.equal((await client.files.list({ limit: 100 })).data.length, before, 'no file was recorded')
      t.same(await fs.readdir(path.join(filesDir, 'tmp')), [])
    })

    t.test('uploads: create, add parts, complete with md5 into a file', async (t) => {
      const one = awkwardBytes(30_000)
      const two = Buffer.from('tail of the file\n')
      const whole = Buffer.concat([one, two])
      const upload = await client.uploads.create({
        bytes: whole.length,
        filename: 'joined.jsonl',
        mime_type: 'application/jsonl',
        purpose: 'batch',
      })
      t.match(upload, { object: 'upload', status: 'pending', bytes: whole.length, filename: 'joined.jsonl' })
      t.equal(upload.expires_at, upload.created_at + 3600)
      const p1 = await client.uploads.parts.create(upload.id, { data: await toFile(one, 'p1') })
      const p2 = await client.uploads.parts.create(upload.id, { data: await toFile(two, 'p2') })
      t.match(p1, { object: 'upload.part', upload_id: upload.id })
      const wrongMd5 = await failure(() =>
        client.uploads.complete(upload.id, { part_ids: [p1.id, p2.id], md5: '0'.repeat(32) }),
      )
      t.match(wrongMd5, { status: 400, param: 'md5' })
      const wrongOrder = await failure(() => client.uploads.complete(upload.id, { part_ids: [p1.id] }))
      t.match(wrongOrder, { status: 400, param: 'part_ids' })
      const unknownPart = await failure(() =>
        client.uploads.complete(upload.id, { part_ids: [p1.id, 'part_000000000000000000000000'] }),
      )
      t.match(unknownPart, { status: 400, param: 'part_ids[1]' })
      const md5 = createHash('md5').update(whole).digest('hex')
      const done = await client.uploads.complete(upload.id, { part_ids: [p1.id, p2.id], md5 })
      t.match(done, { status: 'completed', file: { bytes: whole.length, filename: 'joined.jsonl', purpose: 'batch' } })
      const fileId = done.file?.id ?? ''
      t.ok((await content(client, fileId)).equals(whole), 'the file holds the parts in order')
      t.equal((await failure(() => client.uploads.cancel(upload.id))).status, 400, 'a completed upload cannot cancel')
      await t.rejects(fs.stat(path.join(filesDir, 'parts', upload.id)), { code: 'ENOENT' }, 'the parts are removed')
    })

    t.test('uploads: cancel, then no more parts; unknown upload is 404', async (t) => {
      const upload = await client.uploads.create({
        bytes: 3,
        filename: 'c.txt',
        mime_type: 'text/plain',
        purpose: 'user_data',
      })
      await client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from('abc'), 'p') })
      t.match(await client.uploads.cancel(upload.id), { status: 'cancelled' })
      const late = await failure(async () =>
        client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from('d'), 'p') }),
      )
      t.equal(late.status, 400)
      t.equal((await failure(() => client.uploads.cancel('upload_000000000000000000000000'))).status, 404)
      const tooBig = await failure(() =>
        client.uploads.create({ bytes: MAX_FILE + 1, filename: 'b', mime_type: 'text/plain', purpose: 'batch' }),
      )
      t.match(tooBig, { status: 400, param: 'bytes' })
    })
  })
}
