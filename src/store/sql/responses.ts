import type {
  InputItemListParams,
  Response,
  ResponseCreateParams,
  ResponseDeleted,
  ResponseItem,
  ResponseStatus,
} from '../../schemas/responses.js'
import type { ResponseStreamEvent } from '../../schemas/responses-stream.js'
import type { ListPage } from '../../schemas/shared.js'
import { notFound, StoreError } from '../errors.js'
import type { ResponseJob, ResponsePatch, ResponseStore } from '../store.js'
import { bodies, definedOnly, type SqlContext } from './client.js'
import { listPage } from './page.js'

/** ResponseStore over SQL; a response's input items go with it through ON DELETE CASCADE. */
export function sqlResponses(ctx: SqlContext): ResponseStore {
  return {
    create(response: Response, input: ResponseItem[], options: { request?: ResponseCreateParams } = {}): Promise<void> {
      return ctx.atomic(async (client) => {
        await client.query(
          'INSERT INTO responses (id, created_at, status, request, body) VALUES ($1, $2, $3, $4::json, $5::json)',
          [
            response.id,
            response.created_at,
            response.status,
            options.request === undefined ? null : JSON.stringify(options.request),
            JSON.stringify(response),
          ],
        )
        // Same created_at for all; seq keeps the given order
        for (const item of input)
          await client.query(
            'INSERT INTO response_items (id, response_id, created_at, body) VALUES ($1, $2, $3, $4::json)',
            [item.id, response.id, response.created_at, JSON.stringify(item)],
          )
      })
    },

    async get(id: string): Promise<Response | null> {
      const { rows } = await ctx.client.query('SELECT body FROM responses WHERE id = $1', [id])
      return bodies<Response>(rows)[0] ?? null
    },

    update(
      id: string,
      patch: ResponsePatch,
      options: { ifStatus?: readonly ResponseStatus[] } = {},
    ): Promise<Response> {
      return ctx.atomic(async (client) => {
        const { rows } = await client.query('SELECT body FROM responses WHERE id = $1 FOR UPDATE', [id])
        const current = bodies<Response>(rows)[0]
        if (current === undefined) throw notFound('response', id)
        if (options.ifStatus !== undefined && !options.ifStatus.includes(current.status))
          throw new StoreError('conflict', `Cannot update response ${id}: its status is ${current.status}`, {
            kind: 'response',
            id,
          })
        const next: Response = { ...current, ...definedOnly(patch) }
        await client.query('UPDATE responses SET status = $2, body = $3::json WHERE id = $1', [
          id,
          next.status,
          JSON.stringify(next),
        ])
        return next
      })
    },

    async jobs(statuses: readonly ResponseStatus[]): Promise<ResponseJob[]> {
      const { rows } = await ctx.client.query(
        'SELECT body, request FROM responses WHERE status = ANY($1::text[]) AND request IS NOT NULL ORDER BY created_at, seq',
        [[...statuses]],
      )
      return rows.map((row) => ({ response: row['body'] as Response, request: row['request'] as ResponseCreateParams }))
    },

    appendEvents(id: string, events: readonly ResponseStreamEvent[]): Promise<void> {
      if (events.length === 0) return Promise.resolve()
      // one statement for the whole flush: a json array unpacked into rows
      return ctx.client
        .query(
          `INSERT INTO response_events (response_id, seq, body)
           SELECT $1, (e->>'sequence_number')::integer, e FROM json_array_elements($2::json) AS e
           ON CONFLICT (response_id, seq) DO NOTHING`,
          [id, JSON.stringify(events)],
        )
        .then(() => undefined)
    },

    async events(id: string, after: number): Promise<ResponseStreamEvent[]> {
      const { rows } = await ctx.client.query(
        'SELECT body FROM response_events WHERE response_id = $1 AND seq > $2 ORDER BY seq',
        [id, after],
      )
      return bodies<ResponseStreamEvent>(rows)
    },

    async inputItems(id: string): Promise<ResponseItem[]> {
      const { rows } = await ctx.client.query(
        'SELECT body FROM response_items WHERE response_id = $1 ORDER BY created_at, seq',
        [id],
      )
      return bodies<ResponseItem>(rows)
    },

    async listInputItems(id: string, query: InputItemListParams = {}): Promise<ListPage<ResponseItem>> {
      const { rows } = await ctx.client.query('SELECT 1 FROM responses WHERE id = $1', [id])
      if (rows.length === 0) throw notFound('response', id)
      const { include: _include, ...page } = query
      return listPage<ResponseItem>(ctx.client, { table: 'response_items', parent: [['response_id', id]] }, page)
    },

    async delete(id: string): Promise<ResponseDeleted> {
      const { rows } = await ctx.client.query('DELETE FROM responses WHERE id = $1 RETURNING id', [id])
      if (rows.length === 0) throw notFound('response', id)
      return { id, object: 'response', deleted: true }
    },
  }
}
