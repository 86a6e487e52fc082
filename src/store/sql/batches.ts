import type { Batch, BatchUsage } from '../../schemas/batches.js'
import type { ListPage, ListQuery } from '../../schemas/shared.js'
import { StoreError, notFound } from '../errors.js'
import type { BatchStore } from '../store.js'
import { bodies, definedOnly, type SqlClient, type SqlContext } from './client.js'
import { listPage } from './page.js'

/** BatchStore over SQL. */
export function sqlBatches(ctx: SqlContext): BatchStore {
  const save = (client: SqlClient, batch: Batch) =>
    client.query('UPDATE batches SET status = $2, body = $3::json WHERE id = $1', [
      batch.id,
      batch.status,
      JSON.stringify(batch),
    ])
  const locked = async (client: SqlClient, id: string): Promise<Batch> => {
    const { rows } = await client.query('SELECT body FROM batches WHERE id = $1 FOR UPDATE', [id])
    const batch = bodies<Batch>(rows)[0]
    if (batch === undefined) throw notFound('batch', id)
    return batch
  }
  return {
    async create(batch, options = {}) {
      await ctx.client.query(
        'INSERT INTO batches (id, status, created_at, body, output_expires_after) VALUES ($1, $2, $3, $4::json, $5)',
        [batch.id, batch.status, batch.created_at, JSON.stringify(batch), options.outputExpiresAfterS ?? null],
      )
      return batch
    },

    async outputExpiresAfter(id) {
      const { rows } = await ctx.client.query('SELECT output_expires_after FROM batches WHERE id = $1', [id])
      const seconds = rows[0]?.['output_expires_after']
      return seconds === null || seconds === undefined ? null : Number(seconds)
    },

    async get(id) {
      const { rows } = await ctx.client.query('SELECT body FROM batches WHERE id = $1', [id])
      return bodies<Batch>(rows)[0] ?? null
    },

    list(query?: ListQuery): Promise<ListPage<Batch>> {
      return listPage<Batch>(ctx.client, { table: 'batches', parent: [] }, query)
    },

    update(id, patch, options = {}) {
      return ctx.atomic(async (client) => {
        const current = await locked(client, id)
        if (options.ifStatus && !options.ifStatus.includes(current.status))
          throw new StoreError('conflict', `Cannot change batch '${id}': it is ${current.status}`, { id })
        const next: Batch = { ...current, ...definedOnly(patch) }
        await save(client, next)
        return next
      })
    },

    async listByStatus(statuses) {
      const { rows } = await ctx.client.query(
        'SELECT body FROM batches WHERE status = ANY($1::text[]) ORDER BY created_at, seq',
        [[...statuses]],
      )
      return bodies<Batch>(rows)
    },

    recordResult(id, result) {
      return ctx.atomic(async (client) => {
        const current = await locked(client, id)
        const inserted = await client.query(
          'INSERT INTO batch_results (batch_id, line, ok, output) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING line',
          [id, result.line, result.ok, result.output],
        )
        // counted in the same transaction as the line: a restart neither loses nor repeats a request's tokens
        const usage = inserted.rows.length > 0 && result.usage ? addUsage(current.usage, result.usage) : current.usage
        const { rows } = await client.query(
          'SELECT count(*) FILTER (WHERE ok) AS completed, count(*) FILTER (WHERE NOT ok) AS failed FROM batch_results WHERE batch_id = $1',
          [id],
        )
        const total = current.request_counts?.total ?? 0
        const next: Batch = {
          ...current,
          request_counts: {
            total,
            completed: Number(rows[0]?.['completed'] ?? 0),
            failed: Number(rows[0]?.['failed'] ?? 0),
          },
          ...(usage ? { usage } : {}),
        }
        await save(client, next)
        return next
      })
    },

    async doneLines(id) {
      const { rows } = await ctx.client.query('SELECT line FROM batch_results WHERE batch_id = $1', [id])
      return new Set(rows.map((row) => Number(row['line'])))
    },

    async results(id, ok, afterLine, limit) {
      const { rows } = await ctx.client.query(
        'SELECT line, ok, output FROM batch_results WHERE batch_id = $1 AND ok = $2 AND line > $3 ORDER BY line LIMIT $4',
        [id, ok, afterLine, limit],
      )
      return rows.map((row) => ({ line: Number(row['line']), ok: Boolean(row['ok']), output: String(row['output']) }))
    },
  }
}

/** The sum of two usages (the first may be missing: a batch made before usage was counted). */
function addUsage(a: BatchUsage | undefined, b: BatchUsage): BatchUsage {
  return {
    input_tokens: (a?.input_tokens ?? 0) + b.input_tokens,
    input_tokens_details: {
      cached_tokens: (a?.input_tokens_details.cached_tokens ?? 0) + b.input_tokens_details.cached_tokens,
    },
    output_tokens: (a?.output_tokens ?? 0) + b.output_tokens,
    output_tokens_details: {
      reasoning_tokens: (a?.output_tokens_details.reasoning_tokens ?? 0) + b.output_tokens_details.reasoning_tokens,
    },
    total_tokens: (a?.total_tokens ?? 0) + b.total_tokens,
  }
}
