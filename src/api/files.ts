import { BadRequestError, NotFoundError } from '../http/errors.js'
import { bytes } from '../http/reply.js'
import type { Router } from '../http/router.js'
import { compileStrings } from '../http/validate.js'
import {
  FileCreateFields,
  FileDeleted,
  FileList,
  FileListParams,
  FileObject,
  FilePath,
  type ExpiresAfter,
  type StoredFilePurpose,
} from '../schemas/files.js'
import type { FileBlobs, TempBlob } from '../store/file-blobs.js'
import { newId } from '../store/ids.js'
import type { Store } from '../store/store.js'
import { sweepExpiredFiles } from '../store/sweep.js'
import type { ApiDeps } from './deps.js'
import { readFileForm } from './file-form.js'

/** Batch input files expire after 30 days unless the upload says otherwise, as on OpenAI. */
const BATCH_FILE_TTL_S = 30 * 24 * 3600

/** Registers the /v1/files routes (upload, list, retrieve, content, delete). */
export function registerFiles(router: Router, deps: ApiDeps): void {
  const checkFields = compileStrings(FileCreateFields)

  router.post(
    '/v1/files',
    { streamBody: true, response: FileObject, summary: 'Uploads a file (multipart/form-data: file, purpose)' },
    async (c) => {
      const { store, blobs } = deps
      const form = await readFileForm(c.request, {
        fileField: 'file',
        maxBytes: deps.maxFileBytes,
        flag: '--max-file-size',
        blobs,
      })
      const temp = form.file?.temp
      try {
        const fields = checkFields(formObject(form.fields))
        if (!form.file || !temp) throw new BadRequestError("Missing required parameter: 'file'.", { param: 'file' })
        return await saveFile({ store, blobs }, temp, {
          filename: form.file.filename,
          purpose: fields.purpose,
          expiresAfter: fields.expires_after ?? null,
        })
      } catch (error) {
        if (temp) await blobs.discard(temp)
        throw error
      }
    },
  )

  router.get('/v1/files', { query: FileListParams, response: FileList, summary: 'Lists files' }, async (c) => {
    const { store, blobs } = deps
    await sweepExpiredFiles(store, blobs, nowS())
    return store.files.list(c.query)
  })

  router.get('/v1/files/:file_id', { params: FilePath, response: FileObject, summary: 'Retrieves a file' }, (c) =>
    findFile(deps, c.params.file_id),
  )

  router.get('/v1/files/:file_id/content', { params: FilePath, summary: "Returns a file's bytes" }, async (c) => {
    const file = await findFile(deps, c.params.file_id)
    return bytes(deps.blobs.read(file.id), { contentType: 'application/octet-stream' })
  })

  router.delete(
    '/v1/files/:file_id',
    { params: FilePath, response: FileDeleted, summary: 'Deletes a file and its bytes' },
    async (c) => {
      const { store, blobs } = deps
      const id = c.params.file_id
      if (!(await store.files.delete(id))) throw new NotFoundError('file', id)
      await blobs.remove(id)
      return { id, object: 'file' as const, deleted: true }
    },
  )
}

/** What a new file record says besides its bytes. */
export type FileInit = { filename: string; purpose: StoredFilePurpose; expiresAfter: ExpiresAfter | null }

/**
 * Names synced bytes with a new file id and records the file: the bytes are in place before the record, so a
 * crash in between leaves an unlisted file that the next start removes.
 */
export async function saveFile(
  { store, blobs }: { store: Store; blobs: FileBlobs },
  temp: TempBlob,
  init: FileInit,
): Promise<FileObject> {
  const id = newId('file')
  const createdAt = nowS()
  const ttl = init.expiresAfter?.seconds ?? (init.purpose === 'batch' ? BATCH_FILE_TTL_S : null)
  const file: FileObject = {
    id,
    object: 'file',
    bytes: temp.bytes,
    created_at: createdAt,
    filename: init.filename,
    purpose: init.purpose,
    status: 'processed',
    ...(ttl === null ? {} : { expires_at: createdAt + ttl }),
  }
  await blobs.commit(temp, id)
  try {
    return await store.files.create(file)
  } catch (error) {
    await blobs.remove(id)
    throw error
  }
}

/** The file with this id (expired ones are gone: swept first); null for an unknown id. */
export async function liveFile(deps: ApiDeps, id: string): Promise<FileObject | null> {
  await sweepExpiredFiles(deps.store, deps.blobs, nowS())
  return deps.store.files.get(id)
}

async function findFile(deps: ApiDeps, id: string): Promise<FileObject> {
  const file = await liveFile(deps, id)
  if (!file) throw new NotFoundError('file', id)
  return file
}

function nowS(): number {
  return Math.floor(Date.now() / 1000)
}

/** Form fields as an object, nesting `a[b]=c` as the SDK sends nested objects (`expires_after[seconds]`). */
function formObject(fields: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of fields) {
    if (name.includes('__proto__')) continue // form names become object keys: never the prototype's
    const nested = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name)
    if (nested && nested[1] !== undefined && nested[2] !== undefined) {
      const parent = out[nested[1]]
      const object = typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>) : {}
      object[nested[2]] = value
      out[nested[1]] = object
    } else {
      out[name] = value
    }
  }
  return out
}
