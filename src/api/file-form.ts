import { ApiError, BadRequestError } from '../http/errors.js'
import { multipartBoundary, readMultipart } from '../http/multipart.js'
import type { HttpRequest } from '../http/request.js'
import type { FileBlobs, TempBlob } from '../store/file-blobs.js'

/** The largest non-file field of a form. */
const MAX_FIELD_BYTES = 64 * 1024

/** A multipart form read from a streamed body: its text fields, and its one file part written to a temporary blob. */
export type FileForm = {
  /** Text fields; a name repeated keeps the last value. */
  fields: Map<string, string>
  file: { temp: TempBlob; filename: string; contentType: string | null } | null
}

/** Options of readFileForm(). */
export type FileFormOptions = {
  /** The name of the file field (`file` for /v1/files, `data` for upload parts). */
  fileField: string
  /** The largest file; past it, 413 naming the limit and `flag`. */
  maxBytes: number
  /** The flag that sets maxBytes, named in the 413. */
  flag: string
  blobs: FileBlobs
}

/** The 413 for a file over the limit. */
export function fileTooLarge(maxBytes: number, flag: string, param: string): ApiError {
  return new ApiError(413, `File too large: the limit is ${maxBytes} bytes (${flag}).`, {
    code: 'file_too_large',
    param,
    shouldRetry: false,
  })
}

/**
 * Reads a multipart/form-data request body as it streams in: the file part goes straight to a temporary file on
 * disk (never whole in memory), text fields are kept. On any failure the temporary file is removed.
 */
export async function readFileForm(request: HttpRequest, options: FileFormOptions): Promise<FileForm> {
  const boundary = multipartBoundary(request.headers['content-type'])
  const stream = request.stream
  if (!stream) throw new BadRequestError('This API method needs a multipart/form-data body.')
  // a declared length far past the limit is refused before reading anything
  if (Number(request.headers['content-length'] ?? '0') > options.maxBytes + MAX_FIELD_BYTES * 4)
    throw fileTooLarge(options.maxBytes, options.flag, options.fileField)
  const events = readMultipart(stream, boundary)[Symbol.asyncIterator]()
  const form: FileForm = { fields: new Map(), file: null }
  try {
    for (let next = await events.next(); !next.done; next = await events.next()) {
      const head = next.value
      if (head.kind !== 'part') continue
      if (head.name === options.fileField && head.filename !== null) {
        if (form.file)
          throw new BadRequestError(`Only one '${options.fileField}' may be sent.`, { param: options.fileField })
        const temp = await options.blobs.write(partBytes(events, options))
        form.file = { temp, filename: head.filename, contentType: head.contentType }
      } else {
        form.fields.set(head.name, await fieldText(events, head.name))
      }
    }
    return form
  } catch (error) {
    if (form.file) await options.blobs.discard(form.file.temp)
    await events.return?.(undefined)
    throw error
  }
}

/** The bytes of the current part, up to its end; 413 past the limit. */
async function* partBytes(
  events: AsyncIterator<{ kind: string; bytes?: Uint8Array }>,
  options: FileFormOptions,
): AsyncGenerator<Uint8Array> {
  let size = 0
  for (let next = await events.next(); !next.done; next = await events.next()) {
    const event = next.value
    if (event.kind === 'end') return
    if (!event.bytes) continue
    size += event.bytes.byteLength
    if (size > options.maxBytes) throw fileTooLarge(options.maxBytes, options.flag, options.fileField)
    yield event.bytes
  }
}

async function fieldText(events: AsyncIterator<{ kind: string; bytes?: Uint8Array }>, name: string): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for (let next = await events.next(); !next.done; next = await events.next()) {
    const event = next.value
    if (event.kind === 'end') break
    if (!event.bytes) continue
    size += event.bytes.byteLength
    if (size > MAX_FIELD_BYTES) throw new BadRequestError(`The field '${name}' is over 64 KiB.`, { param: name })
    chunks.push(event.bytes)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    throw new BadRequestError(`The field '${name}' is not valid UTF-8.`, { param: name })
  }
}
