import t from 'tap'
import { multipartBoundary, readMultipart, type MultipartEvent } from '../../../src/http/multipart.js'

async function* chunksOf(body: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size)
}

type Part = { name: string; filename: string | null; contentType: string | null; body: Buffer }

async function parts(body: Buffer, boundary: string, size: number): Promise<Part[]> {
  const out: Part[] = []
  let current: Part | null = null
  for await (const event of readMultipart(chunksOf(body, size), boundary) as AsyncIterable<MultipartEvent>) {
    if (event.kind === 'part') current = { ...event, body: Buffer.alloc(0) }
    else if (event.kind === 'data' && current) current.body = Buffer.concat([current.body, event.bytes])
    else if (event.kind === 'end' && current) out.push(current)
  }
  return out
}

function form(boundary: string, fields: Array<{ head: string; body: Buffer | string }>): Buffer {
  const pieces: Buffer[] = [Buffer.from('preamble ignored\r\n')]
  for (const field of fields) {
    pieces.push(Buffer.from(`--${boundary}\r\n${field.head}\r\n\r\n`), Buffer.from(field.body), Buffer.from('\r\n'))
  }
  pieces.push(Buffer.from(`--${boundary}--\r\nepilogue`))
  return Buffer.concat(pieces)
}

t.test('readMultipart() yields every part intact whatever the chunk size', async (t) => {
  const boundary = 'openai-xyz'
  // bytes that look like a delimiter prefix, CRLFs and binary, to catch split-boundary bugs
  const binary = Buffer.from([...Buffer.from(`\r\n--openai-xy\r\n-`), 0, 255, 13, 10, 13, 10, 45, 45])
  const body = form(boundary, [
    { head: 'Content-Disposition: form-data; name="purpose"', body: 'batch' },
    {
      head: 'Content-Disposition: form-data; name="file"; filename="a;b \\"c\\".jsonl"\r\nContent-Type: application/jsonl',
      body: binary,
    },
    { head: 'Content-Disposition: form-data; name="empty"', body: '' },
  ])
  for (const size of [1, 2, 3, 7, 13, 64, body.length]) {
    const got = await parts(body, boundary, size)
    t.same(
      got.map((p) => [p.name, p.filename, p.contentType]),
      [
        ['purpose', null, null],
        ['file', 'a;b "c".jsonl', 'application/jsonl'],
        ['empty', null, null],
      ],
      `heads at chunk size ${size}`,
    )
    t.equal(got[0]?.body.toString(), 'batch')
    t.ok(got[1]?.body.equals(binary), `binary part exact at chunk size ${size}`)
    t.equal(got[2]?.body.length, 0)
  }
})

t.test('readMultipart() refuses a body cut before the closing boundary', async (t) => {
  const body = form('b', [{ head: 'Content-Disposition: form-data; name="x"', body: 'y' }])
  await t.rejects(parts(body.subarray(0, body.length - 12), 'b', 5), { status: 400, code: 'invalid_multipart' })
})

t.test('readMultipart() refuses a part without a name', async (t) => {
  const body = form('b', [{ head: 'Content-Type: text/plain', body: 'y' }])
  await t.rejects(parts(body, 'b', 100), { status: 400, code: 'invalid_multipart' })
})

t.test('multipartBoundary() reads the boundary and refuses other content types', async (t) => {
  t.equal(multipartBoundary('multipart/form-data; boundary=openai-123'), 'openai-123')
  t.equal(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"'), 'a b')
  t.throws(() => multipartBoundary('application/json'), { status: 400, code: 'unsupported_content_type' })
  t.throws(() => multipartBoundary(undefined), { status: 400, code: 'unsupported_content_type' })
  t.throws(() => multipartBoundary('multipart/form-data'), { status: 400, code: 'invalid_multipart' })
})
