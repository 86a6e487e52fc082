import { BadRequestError, NotFoundError } from '../http/errors.js'
import type { Router } from '../http/router.js'
import { Upload, UploadCompleteParams, UploadCreateParams, UploadPart, UploadPath } from '../schemas/uploads.js'
import { partName, type FileBlobs } from '../store/file-blobs.js'
import { newId } from '../store/ids.js'
import type { Store } from '../store/store.js'
import type { ApiDeps } from './deps.js'
import { readFileForm } from './file-form.js'
import { saveFile } from './files.js'

/** An upload accepts parts for an hour, as on OpenAI. */
const UPLOAD_TTL_S = 3600
/** The largest part, as on OpenAI. */
const MAX_PART_BYTES = 64 * 1024 * 1024

/** Registers the /v1/uploads routes: create, add parts, complete (with md5), cancel. */
export function registerUploads(router: Router, deps: ApiDeps): void {
  router.post(
    '/v1/uploads',
    { body: UploadCreateParams, response: Upload, summary: 'Starts a multi-part upload' },
    (c) => {
      const { store } = deps
      if (c.body.bytes > deps.maxFileBytes)
        throw new BadRequestError(`'bytes' is over the largest file: ${deps.maxFileBytes} bytes (--max-file-size).`, {
          param: 'bytes',
        })
      const createdAt = Math.floor(Date.now() / 1000)
      return store.uploads.create({
        id: newId('upload'),
        object: 'upload',
        bytes: c.body.bytes,
        created_at: createdAt,
        expires_at: createdAt + UPLOAD_TTL_S,
        filename: c.body.filename,
        purpose: c.body.purpose,
        status: 'pending',
        file: null,
      })
    },
  )

  router.post(
    '/v1/uploads/:upload_id/parts',
    { params: UploadPath, streamBody: true, response: UploadPart, summary: 'Adds a part (multipart/form-data: data)' },
    async (c) => {
      const { store, blobs } = deps
      const upload = await pendingUpload(store, c.params.upload_id)
      const form = await readFileForm(c.request, {
        fileField: 'data',
        maxBytes: Math.min(MAX_PART_BYTES, deps.maxFileBytes),
        flag: 'the 64 MiB part limit or --max-file-size',
        blobs,
      })
      if (!form.file) throw new BadRequestError("Missing required parameter: 'data'.", { param: 'data' })
      const part: UploadPart = {
        id: newId('part'),
        object: 'upload.part',
        created_at: Math.floor(Date.now() / 1000),
        upload_id: upload.id,
      }
      await blobs.commit(form.file.temp, partName(upload.id, part.id))
      try {
        await store.uploads.addPart(part, form.file.temp.bytes)
      } catch (error) {
        await blobs.remove(partName(upload.id, part.id))
        throw error
      }
      return part
    },
  )

  router.post(
    '/v1/uploads/:upload_id/complete',
    { params: UploadPath, body: UploadCompleteParams, response: Upload, summary: 'Completes an upload into a file' },
    async (c) => {
      const { store, blobs } = deps
      const upload = await pendingUpload(store, c.params.upload_id)
      const sizes = await store.uploads.parts(upload.id)
      const seen = new Set<string>()
      let total = 0
      c.body.part_ids.forEach((id, i) => {
        const size = sizes.get(id)
        if (size === undefined || seen.has(id))
          throw new BadRequestError(
            `${seen.has(id) ? 'Repeated' : 'Unknown'} part '${id}' for upload '${upload.id}'.`,
            {
              param: `part_ids[${i}]`,
            },
          )
        seen.add(id)
        total += size
      })
      if (total !== upload.bytes)
        throw new BadRequestError(
          `The parts hold ${total} bytes but the upload was created with bytes=${upload.bytes}.`,
          { param: 'part_ids' },
        )
      const temp = await blobs.write(joinParts(blobs, upload.id, c.body.part_ids))
      if (c.body.md5 !== undefined && c.body.md5.toLowerCase() !== temp.md5) {
        await blobs.discard(temp)
        throw new BadRequestError(`The md5 of the parts is ${temp.md5}, not ${c.body.md5}.`, { param: 'md5' })
      }
      const file = await saveFile({ store, blobs }, temp, {
        filename: upload.filename,
        purpose: upload.purpose,
        expiresAfter: null,
      })
      const done = await store.uploads.finish(upload.id, { status: 'completed', file })
      await blobs.remove(partName(upload.id, ''))
      return done
    },
  )

  router.post(
    '/v1/uploads/:upload_id/cancel',
    { params: UploadPath, response: Upload, summary: 'Cancels an upload' },
    async (c) => {
      const { store, blobs } = deps
      const upload = await pendingUpload(store, c.params.upload_id)
      const cancelled = await store.uploads.finish(upload.id, { status: 'cancelled', file: null })
      await blobs.remove(partName(upload.id, ''))
      return cancelled
    },
  )
}

/** The upload if it still takes parts; 404 for an unknown id, 400 once it is finished or expired. */
async function pendingUpload(store: Store, id: string): Promise<Upload> {
  const upload = await store.uploads.get(id)
  if (!upload) throw new NotFoundError('upload', id)
  const status = upload.status === 'pending' && upload.expires_at <= Date.now() / 1000 ? 'expired' : upload.status
  if (status !== 'pending')
    throw new BadRequestError(`Cannot change upload '${id}': it is ${status}.`, { shouldRetry: false })
  return upload
}

async function* joinParts(blobs: FileBlobs, uploadId: string, partIds: readonly string[]): AsyncGenerator<Uint8Array> {
  for (const id of partIds) yield* blobs.read(partName(uploadId, id))
}
