import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/** Bytes written to a temporary file, synced to disk, not yet named. */
export type TempBlob = { path: string; bytes: number; md5: string }

/**
 * The bytes of files and upload parts under `<dataDir>/files`. Each is written to `tmp/`, fsynced, then renamed
 * to its id (and the directory fsynced): a crash mid-write leaves only a temporary file, removed at the next start.
 */
export class FileBlobs {
  readonly root: string
  #tmp: string

  /** Use `FileBlobs.open()`, which also cleans up after a crash. */
  constructor(root: string) {
    this.root = root
    this.#tmp = path.join(root, 'tmp')
  }

  /** Opens the folder: empties `tmp/` and removes the bytes of files `known` does not list (a crash before the record). */
  static async open(root: string, known: () => Promise<Set<string>>): Promise<FileBlobs> {
    const blobs = new FileBlobs(root)
    await rm(blobs.#tmp, { recursive: true, force: true })
    await mkdir(blobs.#tmp, { recursive: true })
    await mkdir(path.join(root, 'parts'), { recursive: true })
    const ids = await known()
    for (const name of await readdir(root)) {
      if (name.startsWith('file-') && !ids.has(name)) await rm(path.join(root, name), { force: true })
    }
    return blobs
  }

  /** Writes chunks to a new temporary file and syncs it; the file is removed if the chunks throw. */
  async write(chunks: AsyncIterable<Uint8Array>): Promise<TempBlob> {
    const file = path.join(this.#tmp, `${randomBytes(12).toString('hex')}.part`)
    const handle = await open(file, 'wx')
    const hash = createHash('md5')
    let bytes = 0
    try {
      for await (const chunk of chunks) {
        hash.update(chunk)
        bytes += chunk.byteLength
        await handle.write(chunk) // one write at a time: the reader waits, so memory stays one chunk
      }
      await handle.sync()
    } catch (error) {
      await handle.close().catch(() => undefined)
      await rm(file, { force: true })
      throw error
    }
    await handle.close()
    return { path: file, bytes, md5: hash.digest('hex') }
  }

  /** Gives a temporary file its final name: a file id, or `parts/<upload>/<part>`. */
  async commit(temp: TempBlob, name: string): Promise<void> {
    const target = path.join(this.root, name)
    await mkdir(path.dirname(target), { recursive: true })
    await rename(temp.path, target)
    await syncDir(path.dirname(target))
  }

  /** Removes a temporary file that will not be committed. */
  async discard(temp: TempBlob): Promise<void> {
    await rm(temp.path, { force: true })
  }

  /** The bytes of a committed name, read in 64 KiB chunks. */
  read(name: string): AsyncIterable<Uint8Array> {
    return createReadStream(path.join(this.root, name), { highWaterMark: 64 * 1024 })
  }

  /** The uploads that have a folder of parts. */
  async partFolders(): Promise<string[]> {
    return readdir(path.join(this.root, 'parts'))
  }

  /** Removes a committed name (a file, or a whole `parts/<upload>` folder); missing is fine. */
  async remove(name: string): Promise<void> {
    await rm(path.join(this.root, name), { recursive: true, force: true })
  }
}

/** The committed name of an upload part. */
export function partName(uploadId: string, partId: string): string {
  return path.join('parts', uploadId, partId)
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // some filesystems refuse fsync on a directory; the rename itself is still atomic
  } finally {
    await handle.close()
  }
}
