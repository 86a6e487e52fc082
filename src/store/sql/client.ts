/** A row as a PostgreSQL driver returns it (json columns already parsed). */
export type SqlRow = Record<string, unknown>

/** The two calls the store needs from a PostgreSQL connection (PGlite, node-postgres, …). */
export interface SqlClient {
  /** One statement with `$1…$n` parameters. */
  query(text: string, params?: readonly unknown[]): Promise<{ rows: SqlRow[] }>
  /** Several statements, no parameters (migrations). */
  exec(text: string): Promise<void>
}

/** A connection that can also run a transaction. */
export interface SqlDatabase extends SqlClient {
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>
}

/** What a repository works with: a client, and `atomic()` that joins the current transaction or opens one. */
export type SqlContext = {
  readonly client: SqlClient
  atomic<T>(fn: (client: SqlClient) => Promise<T>): Promise<T>
}

/** True if err is a PostgreSQL error with this SQLSTATE (e.g. '23505' unique_violation). */
export function isSqlState(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code
}

/** The `body` json column of each row, as the wire object the store wrote there. */
export function bodies<T>(rows: SqlRow[]): T[] {
  // The store reads back only what it wrote from typed objects, so the cast holds
  return rows.map((row) => row['body'] as T)
}

/** Current Unix time in seconds, the unit of every `*_at` field. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** The patch without keys whose value is undefined, so a spread never erases a field. */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>
}
