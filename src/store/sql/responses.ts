import type { InputItemListParams, Response, ResponseDeleted, ResponseItem } from '../../schemas/responses.js'
import type { ListPage } from '../../schemas/shared.js'
import { notFound } from '../errors.js'
import type { ResponseStore } from '../store.js'
import { bodies, type SqlContext } from './client.js'
import { listPage } from './page.js'

/** ResponseStore over SQL; a response's input items go with it through ON DELETE CASCADE. */
export function sqlResponses(ctx: SqlContext): ResponseStore {
  return {
    create(response: Response, input: ResponseItem[]): Promise<void> {
      return ctx.atomic(async (client) => {
        await client.query('INSERT INTO responses (id, created_at, body) VALUES ($1, $2, $3::json)', [
          response.id,
          response.created_at,
          JSON.stringify(response),
        ])
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
