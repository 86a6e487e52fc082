import type { Conversation, ConversationDeleted, ItemListParams } from '../../schemas/conversations.js'
import type { ResponseItem } from '../../schemas/responses.js'
import type { ListPage, Metadata } from '../../schemas/shared.js'
import { notFound } from '../errors.js'
import { newId } from '../ids.js'
import type { ConversationStore } from '../store.js'
import { bodies, nowSeconds, type SqlClient, type SqlContext } from './client.js'
import { listPage } from './page.js'

/** ConversationStore over SQL; items go with their conversation through ON DELETE CASCADE. */
export function sqlConversations(ctx: SqlContext): ConversationStore {
  const requireConversation = async (client: SqlClient, id: string, lock = false): Promise<Conversation> => {
    const { rows } = await client.query(`SELECT body FROM conversations WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [
      id,
    ])
    const conversation = bodies<Conversation>(rows)[0]
    if (conversation === undefined) throw notFound('conversation', id)
    return conversation
  }
  const insertItems = async (client: SqlClient, id: string, items: ResponseItem[]): Promise<void> => {
    const createdAt = nowSeconds()
    for (const item of items)
      await client.query(
        'INSERT INTO conversation_items (id, conversation_id, created_at, body) VALUES ($1, $2, $3, $4::json)',
        [item.id, id, createdAt, JSON.stringify(item)],
      )
  }
  return {
    create(metadata: Metadata | null | undefined, items: ResponseItem[]): Promise<Conversation> {
      const conversation: Conversation = {
        id: newId('conv'),
        object: 'conversation',
        created_at: nowSeconds(),
        metadata: metadata ?? {},
      }
      return ctx.atomic(async (client) => {
        await client.query('INSERT INTO conversations (id, created_at, body) VALUES ($1, $2, $3::json)', [
          conversation.id,
          conversation.created_at,
          JSON.stringify(conversation),
        ])
        await insertItems(client, conversation.id, items)
        return conversation
      })
    },

    async get(id: string): Promise<Conversation | null> {
      const { rows } = await ctx.client.query('SELECT body FROM conversations WHERE id = $1', [id])
      return bodies<Conversation>(rows)[0] ?? null
    },

    update(id: string, metadata: Metadata | null): Promise<Conversation> {
      return ctx.atomic(async (client) => {
        const next: Conversation = { ...(await requireConversation(client, id, true)), metadata: metadata ?? {} }
        await client.query('UPDATE conversations SET body = $2::json WHERE id = $1', [id, JSON.stringify(next)])
        return next
      })
    },

    async delete(id: string): Promise<ConversationDeleted> {
      const { rows } = await ctx.client.query('DELETE FROM conversations WHERE id = $1 RETURNING id', [id])
      if (rows.length === 0) throw notFound('conversation', id)
      return { id, object: 'conversation.deleted', deleted: true }
    },

    appendItems(id: string, items: ResponseItem[]): Promise<ResponseItem[]> {
      return ctx.atomic(async (client) => {
        await requireConversation(client, id, true)
        await insertItems(client, id, items)
        return items
      })
    },

    async items(id: string): Promise<ResponseItem[]> {
      await requireConversation(ctx.client, id)
      const { rows } = await ctx.client.query(
        'SELECT body FROM conversation_items WHERE conversation_id = $1 ORDER BY created_at, seq',
        [id],
      )
      return bodies<ResponseItem>(rows)
    },

    async listItems(id: string, query: ItemListParams = {}): Promise<ListPage<ResponseItem>> {
      await requireConversation(ctx.client, id)
      const { include: _include, ...page } = query
      return listPage<ResponseItem>(
        ctx.client,
        { table: 'conversation_items', parent: [['conversation_id', id]] },
        page,
      )
    },

    async getItem(id: string, itemId: string): Promise<ResponseItem | null> {
      await requireConversation(ctx.client, id)
      const { rows } = await ctx.client.query(
        'SELECT body FROM conversation_items WHERE conversation_id = $1 AND id = $2 ORDER BY seq LIMIT 1',
        [id, itemId],
      )
      return bodies<ResponseItem>(rows)[0] ?? null
    },

    deleteItem(id: string, itemId: string): Promise<Conversation> {
      return ctx.atomic(async (client) => {
        const conversation = await requireConversation(client, id, true)
        const { rows } = await client.query(
          'DELETE FROM conversation_items WHERE conversation_id = $1 AND id = $2 RETURNING id',
          [id, itemId],
        )
        if (rows.length === 0) throw notFound('item', itemId)
        return conversation
      })
    },
  }
}
