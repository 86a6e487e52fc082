import { BadRequestError } from './errors.js'

/** One event of a multipart/form-data body, in order: a part's head, its bytes (any number of chunks), its end. */
export type MultipartEvent =
  | { kind: 'part'; name: string; filename: string | null; contentType: string | null }
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'end' }

/** Bounds that keep a hostile body from making the parser buffer much. */
const MAX_HEADER_BYTES = 16 * 1024
const MAX_PARTS = 64

/** The boundary of a `multipart/form-data` content type; 400 naming the header when it is something else. */
export function multipartBoundary(contentType: string | undefined): string {
  const [mediaType = '', ...params] = (contentType ?? '').split(';')
  if (mediaType.trim().toLowerCase() !== 'multipart/form-data') {
    throw new BadRequestError(
      `Unsupported content type: '${contentType ?? ''}'. This API method only accepts 'multipart/form-data' requests.`,
      { code: 'unsupported_content_type' },
    )
  }
  for (const param of params) {
    const eq = param.indexOf('=')
    if (param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue
    const boundary = unquote(param.slice(eq + 1).trim())
    if (boundary.length >= 1 && boundary.length <= 70) return boundary
  }
  throw new BadRequestError("Invalid multipart/form-data body: the Content-Type header has no valid 'boundary'.", {
    code: 'invalid_multipart',
  })
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2
    ? value.slice(1, -1).replace(/\\(.)/g, '$1')
    : value
}

function malformed(reason: string): BadRequestError {
  return new BadRequestError(`Invalid multipart/form-data body: ${reason}.`, { code: 'invalid_multipart' })
}

/**
 * Reads a multipart/form-data body as it streams in (RFC 7578): yields each part's head, its bytes as they come
 * and its end. Holds at most one chunk plus a boundary's length of bytes, so file parts of any size pass through.
 */
export async function* readMultipart(
  chunks: AsyncIterable<Uint8Array>,
  boundary: string,
): AsyncGenerator<MultipartEvent> {
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  // A leading CRLF lets the first delimiter, which has none, be found like every other
  let buf: Buffer = Buffer.from('\r\n')
  let state: 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done' = 'preamble'
  let parts = 0
  for await (const chunk of chunks) {
    if (state === 'done') continue // the epilogue is ignored
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk])
    for (;;) {
      if (state === 'preamble' || state === 'body') {
        const at = buf.indexOf(delimiter)
        if (at === -1) {
          // keep a tail that could be the start of a delimiter split across chunks
          const keep = Math.min(buf.length, delimiter.length - 1)
          if (state === 'body' && buf.length > keep) yield { kind: 'data', bytes: buf.subarray(0, buf.length - keep) }
          buf = buf.subarray(buf.length - keep)
          break
        }
        if (state === 'body') {
          if (at > 0) yield { kind: 'data', bytes: buf.subarray(0, at) }
          yield { kind: 'end' }
        }
        buf = buf.subarray(at + delimiter.length)
        state = 'after-delimiter'
      } else if (state === 'after-delimiter') {
        const lineEnd = buf.indexOf('\r\n')
        if (lineEnd === -1 && buf.length < 2) break
        if (buf.subarray(0, 2).toString('latin1') === '--') {
          state = 'done'
          break
        }
        if (lineEnd === -1) {
          if (buf.length > 256) throw malformed('junk after a boundary')
          break
        }
        if (buf.subarray(0, lineEnd).toString('latin1').trim() !== '') throw malformed('junk after a boundary')
        buf = buf.subarray(lineEnd + 2)
        state = 'headers'
      } else if (state === 'headers') {
        const end = buf.indexOf('\r\n\r\n')
        if (end === -1) {
          if (buf.length > MAX_HEADER_BYTES) throw malformed('a part has headers over 16 KiB')
          break
        }
        if (++parts > MAX_PARTS) throw malformed(`more than ${MAX_PARTS} parts`)
        yield parsePartHead(buf.subarray(0, end).toString('utf8'))
        // the bytes start after the blank line; an empty part's delimiter (with its CRLF) starts right here
        buf = buf.subarray(end + 4)
        state = 'body'
      } else {
        break
      }
    }
  }
  if (state !== 'done') throw malformed('it ends before the closing boundary')
}

function parsePartHead(text: string): MultipartEvent & { kind: 'part' } {
  let name: string | null = null
  let filename: string | null = null
  let contentType: string | null = null
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon === -1) continue
    const header = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (header === 'content-type') contentType = value
    if (header !== 'content-disposition') continue
    const params = dispositionParams(value)
    name = params.get('name') ?? null
    filename = params.get('filename') ?? null
  }
  if (name === null) throw malformed("a part has no Content-Disposition 'name'")
  return { kind: 'part', name, filename, contentType }
}

/** The parameters of `form-data; name="file"; filename="a.jsonl"` (quoted strings may hold `;`). */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>()
  const pattern = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g
  for (const match of value.matchAll(pattern)) {
    const key = (match[1] ?? '').toLowerCase()
    params.set(key, unquote((match[2] ?? '').trim()))
  }
  return params
}
