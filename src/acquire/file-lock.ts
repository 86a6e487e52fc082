import { open, readFile, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

/** Options for acquireFileLock(). */
export type FileLockOptions = {
  signal?: AbortSignal
  /** Called once when another live process holds the lock and this call starts waiting. */
  onWait?: (holder: string) => void
  pollMs?: number
}

/** Releases a lock taken by acquireFileLock(); safe to call twice. */
export type ReleaseLock = () => Promise<void>

/** A lock file with no readable owner is taken over after this long (its writer crashed mid-write). */
const UNREADABLE_STALE_MS = 10_000

/**
 * Takes an exclusive lock file (O_CREAT|O_EXCL) holding `{ pid, host }`; waits while a live process
 * holds it and takes over a lock whose process on this host is gone.
 */
export async function acquireFileLock(path: string, options: FileLockOptions = {}): Promise<ReleaseLock> {
  const pollMs = options.pollMs ?? 250
  const owner = JSON.stringify({ pid: process.pid, host: hostname(), created: new Date().toISOString() })
  let waiting = false
  for (;;) {
    options.signal?.throwIfAborted()
    try {
      const handle = await open(path, 'wx')
      try {
        await handle.writeFile(owner)
      } finally {
        await handle.close()
      }
      return releaseOnce(path, owner)
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error
    }
    const seen = await readHolder(path)
    if (seen === null) continue // released between our open and read: try again now
    if (await isStale(path, seen)) {
      // Re-read just before removing, so a lock that another process took over meanwhile survives
      if ((await readHolder(path)) === seen) await unlink(path).catch(ignoreMissing)
      continue
    }
    if (!waiting) {
      waiting = true
      options.onWait?.(seen)
    }
    await sleep(pollMs, undefined, { signal: options.signal })
  }
}

function releaseOnce(path: string, owner: string): ReleaseLock {
  let released = false
  return async () => {
    if (released) return
    released = true
    // Only remove the file if it is still ours
    if ((await readHolder(path)) === owner) await unlink(path).catch(ignoreMissing)
  }
}

/** The lock file's text, '' if empty, null if it no longer exists. */
async function readHolder(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null
    throw error
  }
}

async function isStale(path: string, text: string): Promise<boolean> {
  const holder = parseHolder(text)
  if (holder === null) {
    const info = await stat(path).catch(() => null)
    return info !== null && Date.now() - info.mtimeMs > UNREADABLE_STALE_MS
  }
  // A pid means nothing on another host (shared file system): wait for that holder instead
  return holder.host === hostname() && !isAlive(holder.pid)
}

function parseHolder(text: string): { pid: number; host: string } | null {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null) return null
    const { pid, host } = value as Record<string, unknown>
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && typeof host === 'string'
      ? { pid, host }
      : null
  } catch {
    return null
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return isCode(error, 'EPERM') // exists but belongs to another user
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code
}

function ignoreMissing(error: unknown): void {
  if (!isCode(error, 'ENOENT')) throw error
}
