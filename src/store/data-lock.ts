import { createHash, randomBytes } from 'node:crypto'
import { closeSync, openSync, realpathSync } from 'node:fs'
import { mkdir, readdir, rm, unlink } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { StoreError } from './errors.js'

/** Releases a data directory lock; safe to call twice. */
export type ReleaseDataLock = () => Promise<void>

/** Options of acquireDataLock(). */
export type DataLockOptions = {
  /**
   * How long a lock that looks held is tried again before giving up (default 5 s): a process killed a moment ago
   * keeps its sockets until the kernel has torn it down.
   */
  waitMs?: number
}

// Two PGlite instances on one data directory corrupt it, so the store is opened under a lock. A PID file cannot
// say whether its holder lives: PIDs repeat (a container's server is PID 1 after every restart; on a host a new
// process may get a dead one's PID), and a zombie answers kill(pid, 0). Node has no flock(), so the lock is a
// listening unix socket in `<dataDir>/lock/`: the kernel closes it the moment its process dies, whatever the PID
// namespace, and connect() tells a live holder (accepted) from a dead one (ECONNREFUSED) for any process that
// shares the file system on one kernel (containers with their own PID and network namespaces included).
//
// A socket file outlives its process, so each taker binds a socket of its own under a random name, then looks at
// every other socket in the folder: a dead one is deleted (a dead socket never comes back to life and its random
// name is never reused, so deleting it cannot hit a live holder), a live one means the lock is held. Of two takers
// at the same time, the later to bind sees the earlier in its listing, so at most one sees nobody and holds the
// lock; when both see each other, both step back and try again after a random pause.
//
// On Windows the lock is a named pipe derived from the folder's real path: only one process can create it and it
// ends with its process. Not covered: a data directory shared by two machines over a network file system (each
// kernel sees only its own sockets), and file systems that cannot hold socket files (bind fails: a clear error).

const LOCK_DIR = 'lock'
const SOCKET_SUFFIX = '.sock'
const PROBE_TIMEOUT_MS = 1000
// sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103

/**
 * Takes the lock of `dataDir` for this process, or fails with `locked` while another live process (or this one)
 * holds it. The lock ends with the process however it ends; the returned function releases it earlier.
 */
export async function acquireDataLock(dataDir: string, options: DataLockOptions = {}): Promise<ReleaseDataLock> {
  const deadline = Date.now() + (options.waitMs ?? 5000)
  const take = process.platform === 'win32' ? takePipe : takeSocket
  for (;;) {
    const outcome = await take(dataDir)
    if (outcome.release) {
      await rm(path.join(dataDir, 'store.lock'), { force: true }).catch(() => undefined) // the PID file of old versions
      return outcome.release
    }
    if (Date.now() >= deadline) {
      throw new StoreError(
        'locked',
        `Cannot open the store: ${dataDir} is in use by another server${outcome.holder ? ` (${outcome.holder})` : ''}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150))
  }
}

/** A try at the lock: held (with a release), or refused with what the holder said about itself. */
type Outcome = { release: ReleaseDataLock; holder?: undefined } | { release?: undefined; holder: string | null }

async function takeSocket(dataDir: string): Promise<Outcome> {
  const dir = path.join(dataDir, LOCK_DIR)
  await mkdir(dir, { recursive: true })
  const shortDir = socketDir(dir)
  const name = `${randomBytes(6).toString('hex')}${SOCKET_SUFFIX}`
  const server = await listenOn(path.join(shortDir.path, name))
  let holder: string | null = null
  let held = false
  try {
    const names = await readdir(dir)
    // A socket is deleted only when it refuses a connection, which a listening one never does; but ours could have
    // been deleted between bind() and listen(): then it is unreachable and holds nothing, so try again
    if (!names.includes(name)) held = true
    for (const other of names) {
      if (other === name || !other.endsWith(SOCKET_SUFFIX)) continue
      const probed = await probe(path.join(shortDir.path, other))
      if (probed.alive) {
        held = true
        holder ??= probed.holder
      } else {
        await unlink(path.join(dir, other)).catch(() => undefined) // another taker may have deleted it first
      }
    }
  } catch (error) {
    await closeServer(server)
    shortDir.close()
    throw error
  }
  if (held) {
    await closeServer(server) // closing a unix socket server deletes its file
    shortDir.close()
    return { holder }
  }
  let released = false
  return {
    release: async () => {
      if (released) return
      released = true
      await closeServer(server)
      shortDir.close()
    },
  }
}

async function takePipe(dataDir: string): Promise<Outcome> {
  await mkdir(dataDir, { recursive: true })
  const real = realpathSync.native(dataDir).toLowerCase()
  const pipe = `\\\\.\\pipe\\oxillama-store-${createHash('sha256').update(real).digest('hex').slice(0, 32)}`
  try {
    const server = await listenOn(pipe)
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        await closeServer(server)
      },
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    const probed = await probe(pipe)
    return { holder: probed.alive ? probed.holder : null }
  }
}

/**
 * The folder to name sockets in: the lock folder itself, or on Linux when its path is too long for a socket
 * address, the same folder through /proc/self/fd/<an open descriptor of it>.
 */
function socketDir(dir: string): { path: string; close(): void } {
  if (Buffer.byteLength(dir) + 1 + 12 + SOCKET_SUFFIX.length <= MAX_SOCKET_PATH) return { path: dir, close() {} }
  if (process.platform !== 'linux') {
    throw new StoreError(
      'locked',
      `Cannot open the store: the path ${dir} is too long for its lock socket; use a shorter --data-dir`,
    )
  }
  const fd = openSync(dir, 'r')
  return { path: `/proc/self/fd/${fd}`, close: () => closeSync(fd) }
}

/** Listens on a socket path; each connection is told who holds the lock, then closed. */
function listenOn(address: string): Promise<net.Server> {
  const about = `process ${process.pid} on ${os.hostname()}, since ${new Date().toISOString()}`
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined)
    socket.end(about)
  })
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? error
          : new StoreError(
              'locked',
              `Cannot open the store: cannot create its lock socket ${address}: ${error.message}`,
            ),
      )
    })
    server.listen(address, () => {
      server.removeAllListeners('error')
      server.on('error', () => undefined)
      server.unref() // the lock must not keep the process alive
      resolve(server)
    })
  })
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/**
 * Connects to a lock socket: accepted means a live holder (whose self-description is read if it comes in time);
 * refused or gone means a dead one. Any other failure (a full backlog, no permission) counts as alive.
 */
function probe(address: string): Promise<{ alive: boolean; holder: string | null }> {
  return new Promise((resolve) => {
    let said = ''
    let connected = false
    const socket = net.connect(address)
    const done = (alive: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ alive, holder: said.trim() || null })
    }
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS)
    socket.setEncoding('utf8')
    socket.on('connect', () => {
      connected = true
    })
    socket.on('data', (text: string) => {
      said += text
      if (said.length > 512) done(true)
    })
    socket.on('end', () => done(true))
    socket.on('error', (error: NodeJS.ErrnoException) =>
      done(!(error.code === 'ECONNREFUSED' || error.code === 'ENOENT') || connected),
    )
  })
}
