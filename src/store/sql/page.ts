import type { ListPage, ListQuery } from '../../schemas/shared.js'
import { StoreError } from '../errors.js'
import { bodies, type SqlClient } from './client.js'

/** Where a list reads from: a table, the parent columns that bound it, and list-only filters. */
export type PageScope = {
  table: 'assistants' | 'threads' | 'messages' | 'runs' | 'run_steps' | 'files' | 'batches'
  /** Parent conditions (column, value); a cursor must name an object inside them. */
  parent: ReadonlyArray<readonly [column: string, value: unknown]>
  /** Extra conditions for the listed rows only (e.g. messages' run_id). */
  filters?: ReadonlyArray<readonly [column: string, value: unknown]>
}

/**
 * Reads one cursor page ordered by (created_at, seq): `after`/`before` are object ids resolved to their
 * position, `has_more` says whether rows remain past the page in the direction of travel (limit+1 fetch).
 * With only `before`, the page is the `limit` objects just before it, still in list order.
 */
export async function listPage<T extends { id: string }>(
  client: SqlClient,
  scope: PageScope,
  query: ListQuery = {},
): Promise<ListPage<T>> {
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 20), 1), 100)
  const ascending = query.order === 'asc'
  const params: unknown[] = []
  const param = (value: unknown): string => `$${params.push(value)}`
  const conditions = [...scope.parent, ...(scope.filters ?? [])].map(([column, value]) => `${column} = ${param(value)}`)
  if (query.after !== undefined) {
    const at = await position(client, scope, query.after, 'after')
    conditions.push(`(created_at, seq) ${ascending ? '>' : '<'} (${param(at.created_at)}, ${param(at.seq)})`)
  }
  if (query.before !== undefined) {
    const at = await position(client, scope, query.before, 'before')
    conditions.push(`(created_at, seq) ${ascending ? '<' : '>'} (${param(at.created_at)}, ${param(at.seq)})`)
  }
  // Travel away from `before` when it is the only cursor, then flip the page back into list order
  const backwards = query.before !== undefined && query.after === undefined
  const direction = ascending !== backwards ? 'ASC' : 'DESC'
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
  const { rows } = await client.query(
    `SELECT body FROM ${scope.table} ${where} ORDER BY created_at ${direction}, seq ${direction} LIMIT ${param(limit + 1)}`,
    params,
  )
  const data = bodies<T>(rows).slice(0, limit)
  if (backwards) data.reverse()
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: rows.length > limit,
  }
}

async function position(
  client: SqlClient,
  scope: PageScope,
  id: string,
  param: 'after' | 'before',
): Promise<{ created_at: unknown; seq: unknown }> {
  const params: unknown[] = [id]
  const conditions = scope.parent.map(([column, value]) => `${column} = $${params.push(value)}`)
  const { rows } = await client.query(
    `SELECT created_at, seq FROM ${scope.table} WHERE id = $1${conditions.map((c) => ` AND ${c}`).join('')}`,
    params,
  )
  const row = rows[0]
  if (row === undefined) {
    throw new StoreError('invalid_cursor', `Invalid '${param}': no object with id '${id}' in this list.`, { param, id })
  }
  return { created_at: row['created_at'], seq: row['seq'] }
}
