import { link, readFile, unlink, writeFile } from 'node:fs/promises'
import { StoreError } from './errors.js'

/** Releases a data directory lock; safe to call twice. */
export type ReleaseDataLock = () => Promise<void>

/**
 * Takes `path` (created whole by link(), holding our pid) or fails with `locked` while a live process holds it.
 * Two PGlite instances on one data directory corrupt it; a lock left by a killed process is taken over.
 */
export async function acquireDataLock(path: string): Promise<ReleaseDataLock> {
  const owner = String(process.pid)
  for (let attempt = 0; attempt < 5; attempt++) {
    // link() creates the lock with its content in one step, so no reader ever sees an empty lock
    const temp = `${path}.${owner}.tmp`
    await writeFile(temp, owner)
    try {
      await link(temp, path)
      let released = false
      return async () => {
        if (released) return
        released = true
        if ((await readOwner(path)) === owner) await unlink(path).catch(() => undefined)
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    } finally {
      await unlink(temp).catch(() => undefined)
    }
    const holder = await readOwner(path)
    if (holder === null) continue // released meanwhile
    const pid = Number(holder)
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new StoreError(
        'locked',
        `Cannot open the store: ${path} is held by process ${pid} (delete the file if that process is not a server)`,
      )
    }
    // Holder is gone (killed): take the lock over unless someone else just did
    if ((await readOwner(path)) === holder) await unlink(path).catch(() => undefined)
  }
  throw new StoreError('locked', `Cannot open the store: could not take ${path}`)
}

async function readOwner(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true // a second open in this process would corrupt the data as well
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
