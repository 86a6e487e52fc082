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
    query: (text, params) => (closed ? Promise.reject(closedError()) : db.query(text, params)),
    exec: (text) => (closed ? Promise.reject(closedError()) : db.exec(text)),
    transaction: (fn) => (closed ? Promise.reject(closedError()) : db.transaction(fn)),
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

function closedError(): StoreError {
  return new StoreError('closed', 'Cannot use the store: it is closed')
}
