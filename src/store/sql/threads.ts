import type { Thread, ThreadCreateParams, ThreadDeleted, ThreadUpdateParams } from '../../schemas/threads.js'
import { notFound } from '../errors.js'
import { newId } from '../ids.js'
import type { ThreadStore } from '../store.js'
import { storedToolResources } from './assistants.js'
import { bodies, nowSeconds, type SqlContext } from './client.js'
import { insertMessage } from './messages.js'

/** ThreadStore over SQL; messages, runs and steps go with their thread through ON DELETE CASCADE. */
export function sqlThreads(ctx: SqlContext): ThreadStore {
  return {
    create(params: ThreadCreateParams = {}): Promise<Thread> {
      const thread: Thread = {
        id: newId('thread'),
        object: 'thread',
        created_at: nowSeconds(),
        metadata: params.metadata ?? {},
        tool_resources: storedToolResources(params.tool_resources),
      }
      return ctx.atomic(async (client) => {
        await client.query('INSERT INTO threads (id, created_at, body) VALUES ($1, $2, $3::json)', [
          thread.id,
          thread.created_at,
          JSON.stringify(thread),
        ])
        // Same created_at for all; seq keeps the given order
        for (const message of params.messages ?? []) await insertMessage(client, thread.id, message, thread.created_at)
        return thread
      })
    },

    async get(id: string): Promise<Thread | null> {
      const { rows } = await ctx.client.query('SELECT body FROM threads WHERE id = $1', [id])
      return bodies<Thread>(rows)[0] ?? null
    },

    update(id: string, params: ThreadUpdateParams): Promise<Thread> {
      return ctx.atomic(async (client) => {
        const { rows } = await client.query('SELECT body FROM threads WHERE id = $1 FOR UPDATE', [id])
        const current = bodies<Thread>(rows)[0]
        if (current === undefined) throw notFound('thread', id)
        const next: Thread = { ...current }
        if (params.metadata !== undefined) next.metadata = params.metadata ?? {}
        if (params.tool_resources !== undefined) next.tool_resources = storedToolResources(params.tool_resources)
        await client.query('UPDATE threads SET body = $2::json WHERE id = $1', [id, JSON.stringify(next)])
        return next
      })
    },

    async delete(id: string): Promise<ThreadDeleted> {
      const { rows } = await ctx.client.query('DELETE FROM threads WHERE id = $1 RETURNING id', [id])
      if (rows.length === 0) throw notFound('thread', id)
      return { id, object: 'thread.deleted', deleted: true }
    },
  }
}
