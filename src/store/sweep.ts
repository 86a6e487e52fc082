import { partName, type FileBlobs } from './file-blobs.js'
import type { Store } from './store.js'

/** What a sweep removed: expired files, and uploads it moved to `expired`. */
export type Swept = { files: string[]; uploads: string[] }

/** Deletes the files past their `expires_at`: the record first (so it is no longer listed), then the bytes. */
export async function sweepExpiredFiles(store: Store, blobs: FileBlobs, now: number): Promise<string[]> {
  const ids = await store.files.deleteExpired(now)
  for (const id of ids) await blobs.remove(id)
  return ids
}

/**
 * The one sweep of expired data, at startup and periodically (and for files before each list or retrieve): files
 * past `expires_at` go with their bytes; pending uploads past `expires_at` become `expired` and their parts' bytes
 * go, as do the part folders of uploads no longer pending (a crash between the record and the removal).
 */
export async function sweepExpired(store: Store, blobs: FileBlobs, now: number): Promise<Swept> {
  const files = await sweepExpiredFiles(store, blobs, now)
  const uploads = await store.uploads.expire(now)
  for (const folder of await blobs.partFolders()) {
    const upload = await store.uploads.get(folder)
    if (upload?.status !== 'pending') await blobs.remove(partName(folder, ''))
  }
  return { files, uploads }
}
