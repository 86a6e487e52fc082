import { StoreError } from '../errors.js'
import type { Store } from '../store.js'
import { sqlAssistants } from './assistants.js'
import type { SqlClient, SqlContext, SqlDatabase } from './client.js'
import { sqlBatches } from './batches.js'
import { sqlFiles } from './files.js'
import { sqlMessages } from './messages.js'
import { sqlRuns } from './runs.js'
import { sqlSteps } from './steps.js'
import { sqlThreads } from './threads.js'
import { sqlUploads } from './uploads.js'

/** A Store over any PostgreSQL connection; close() runs once, then every call fails with `closed`. */
export function createSqlStore(db: SqlDatabase, close: () => Promise<void>): Store {
  let closed = false
  const guarded: SqlDatabase = {
    query: (text, params) => (closed ? Promise.reject(closedError()) : db.query(text, params).catch(badInput)),
    exec: (text) => (closed ? Promise.reject(closedError()) : db.exec(text)),
    // a statement that fails inside the transaction rejects it: its error is mapped here
    transaction: (fn) => (closed ? Promise.reject(closedError()) : db.transaction(fn).catch(badInput)),
  }
  const root: SqlContext = { client: guarded, atomic: (fn) => guarded.transaction(fn) }
  const store = bind(root, {
    transaction: (fn) => guarded.transaction((tx) => fn(txStore(tx))),
    async close() {
      if (closed) return
      closed = true
      await close()
    },
  })
  return store
}

function txStore(tx: SqlClient): Store {
  const ctx: SqlContext = { client: tx, atomic: (fn) => fn(tx) }
  const store: Store = bind(ctx, {
    // Nested transactions join the open one
    transaction: (fn) => fn(store),
    close: () => Promise.reject(new StoreError('conflict', 'Cannot close the store: inside a transaction')),
  })
  return store
}

function bind(ctx: SqlContext, rest: Pick<Store, 'transaction' | 'close'>): Store {
  return {
    assistants: sqlAssistants(ctx),
    threads: sqlThreads(ctx),
    messages: sqlMessages(ctx),
    runs: sqlRuns(ctx),
    steps: sqlSteps(ctx),
    files: sqlFiles(ctx),
    uploads: sqlUploads(ctx),
    batches: sqlBatches(ctx),
    ...rest,
  }
}

/**
 * Rethrows a PostgreSQL data exception (SQLSTATE class 22: a NUL byte in a text parameter, a malformed value) as
 * an `invalid_input` StoreError, a 400, since the request carried the value; the API checks ids and text before
 * any store call, so this is the backstop that keeps a value it missed from becoming a 500. Other errors pass.
 */
function badInput(err: unknown): never {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new StoreError('invalid_input', `Cannot store a value of the request: ${reason}`, { cause: err })
  }
  throw err
}

function closedError(): StoreError {
  return new StoreError('closed', 'Cannot use the store: it is closed')
}
