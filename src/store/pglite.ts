import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { PGlite, type PGliteOptions } from '@electric-sql/pglite'
import { acquireDataLock } from './data-lock.js'
import { MIGRATIONS } from './migrations.js'
import type { SqlClient, SqlDatabase } from './sql/client.js'
import { migrate } from './sql/migrate.js'
import { createSqlStore } from './sql/store.js'
import type { Store } from './store.js'

/** Options of openPgliteStore(). */
export type PgliteStoreOptions = {
  /**
   * Folder holding PGlite's `pglite.wasm`, `initdb.wasm` and `pglite.data`. When set they are read from
   * there and handed to PGlite; when unset PGlite looks next to its own module file (in a bundle: next
   * to the bundle, e.g. `dist/`).
   */
  assetsDir?: string
  /** PostgreSQL shared_buffers. PGlite's default is 128MB of wasm memory; 16MB keeps RSS ~140 MB lower. */
  sharedBuffers?: string
  /** How long a data directory that looks locked is tried again (default 5 s; see acquireDataLock()). */
  lockWaitMs?: number
  /** Called after each statement with the seconds it took (metrics). */
  onQuery?: (seconds: number) => void
}

/** The asset files PGlite needs at run time, which a bundle must ship beside it (or pass via `assetsDir`). */
export const PGLITE_ASSET_FILES = ['pglite.wasm', 'initdb.wasm', 'pglite.data'] as const

/**
 * Opens (creating and migrating if needed) the store in `<dataDir>/pglite`, locked by a socket in `<dataDir>/lock`.
 * Durability: PGlite's NodeFS writes through to the OS on every write() and a commit writes its WAL before
 * the query returns, so an acknowledged write survives the process being killed; it is not fsynced
 * (PGlite runs with fsync off), so an OS crash or power loss may lose the last commits.
 */
export async function openPgliteStore(dataDir: string, options: PgliteStoreOptions = {}): Promise<Store> {
  await mkdir(dataDir, { recursive: true })
  const release = await acquireDataLock(dataDir, options.lockWaitMs === undefined ? {} : { waitMs: options.lockWaitMs })
  let db: PGlite | undefined
  try {
    db = await PGlite.create({
      dataDir: path.join(dataDir, 'pglite'),
      relaxedDurability: false, // true would resolve queries before the filesystem sync
      startParams: [
        ...PGlite.defaultStartParams,
        // A commit returns only after its WAL is written (off loses acknowledged writes on kill -9: see durability.test.ts)
        '-c',
        'synchronous_commit=on',
        '-c',
        `shared_buffers=${options.sharedBuffers ?? '16MB'}`,
      ],
      ...(options.assetsDir === undefined ? {} : await loadAssets(options.assetsDir)),
    })
    const sql = sqlDatabase(db, options.onQuery)
    await migrate(sql, MIGRATIONS)
    const opened = db
    return createSqlStore(sql, async () => {
      try {
        await opened.close()
      } finally {
        await release()
      }
    })
  } catch (err) {
    await db?.close().catch(() => undefined)
    await release()
    throw err
  }
}

async function loadAssets(
  dir: string,
): Promise<Pick<PGliteOptions, 'pgliteWasmModule' | 'initdbWasmModule' | 'fsBundle'>> {
  const read = (name: (typeof PGLITE_ASSET_FILES)[number]) =>
    readFile(path.join(dir, name)).catch((err: Error) => {
      throw new Error(`Cannot open the store: PGlite's ${name} is missing from ${dir} (${err.message})`, { cause: err })
    })
  const [pglite, initdb, data] = [await read('pglite.wasm'), await read('initdb.wasm'), await read('pglite.data')]
  return {
    pgliteWasmModule: await WebAssembly.compile(pglite),
    initdbWasmModule: await WebAssembly.compile(initdb),
    fsBundle: new Blob([data]),
  }
}

function sqlDatabase(db: PGlite, onQuery: ((seconds: number) => void) | undefined): SqlDatabase {
  const plain = (target: Pick<PGlite, 'query' | 'exec'>): SqlClient => ({
    query: (text, params) => target.query(text, params === undefined ? undefined : [...params]),
    exec: async (text) => {
      await target.exec(text)
    },
  })
  const client = onQuery ? (target: Pick<PGlite, 'query' | 'exec'>) => timed(plain(target), onQuery) : plain
  return {
    ...client(db),
    transaction: (fn) => db.transaction((tx) => fn(client(tx))),
  }
}

function timed(client: SqlClient, onQuery: (seconds: number) => void): SqlClient {
  const time = async <T>(work: () => Promise<T>): Promise<T> => {
    const started = performance.now()
    try {
      return await work()
    } finally {
      onQuery((performance.now() - started) / 1000)
    }
  }
  return {
    query: (text, params) => time(() => client.query(text, params)),
    exec: (text) => time(() => client.exec(text)),
  }
}
