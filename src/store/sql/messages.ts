import type {
  Message,
  MessageContent,
  MessageDeleted,
  MessageIncompleteDetails,
  MessageListParams,
  MessageStatus,
} from '../../schemas/messages.js'
import type { ListPage } from '../../schemas/shared.js'
import { notFound } from '../errors.js'
import { newId } from '../ids.js'
import type { MessageInit, MessagePatch, MessageStore } from '../store.js'
import { bodies, definedOnly, nowSeconds, type SqlClient, type SqlContext } from './client.js'
import { listPage } from './page.js'

/** Turns create-body content (a string or parts) into stored content blocks. */
export function toContentBlocks(content: MessageInit['content']): MessageContent[] {
  if (typeof content === 'string') return [{ type: 'text', text: { value: content, annotations: [] } }]
  return content.map((part) =>
    part.type === 'text' && typeof part.text === 'string'
      ? { type: 'text', text: { value: part.text, annotations: [] } }
      : (part as MessageContent),
  )
}

/** Builds a message and inserts it, if its thread exists; returns null otherwise (one statement, no abort). */
export async function insertMessage(
  client: SqlClient,
  threadId: string,
  init: MessageInit,
  createdAt: number,
): Promise<Message | null> {
  const status = init.status ?? 'completed'
  const message: Message = {
    id: newId('msg'),
    object: 'thread.message',
    created_at: createdAt,
    thread_id: threadId,
    role: init.role,
    status,
    content: toContentBlocks(init.content),
    assistant_id: init.assistant_id ?? null,
    run_id: init.run_id ?? null,
    attachments: init.attachments ?? [],
    completed_at: status === 'completed' ? createdAt : null,
    incomplete_at: status === 'incomplete' ? createdAt : null,
    incomplete_details: null,
    metadata: init.metadata ?? {},
  }
  const { rows } = await client.query(
    `INSERT INTO messages (id, thread_id, run_id, created_at, body)
     SELECT $1, $2, $3, $4, $5::json WHERE EXISTS (SELECT 1 FROM threads WHERE id = $2) RETURNING id`,
    [message.id, threadId, message.run_id, createdAt, JSON.stringify(message)],
  )
  return rows.length === 0 ? null : message
}

/** MessageStore over SQL. */
export function sqlMessages(ctx: SqlContext): MessageStore {
  async function change(threadId: string, id: string, edit: (current: Message) => Message): Promise<Message> {
    return ctx.atomic(async (client) => {
      const { rows } = await client.query('SELECT body FROM messages WHERE id = $1 AND thread_id = $2 FOR UPDATE', [
        id,
        threadId,
      ])
      const current = bodies<Message>(rows)[0]
      if (current === undefined) throw notFound('message', id)
      const next = edit(current)
      await client.query('UPDATE messages SET body = $2::json WHERE id = $1', [id, JSON.stringify(next)])
      return next
    })
  }

  return {
    async create(threadId: string, init: MessageInit): Promise<Message> {
      const message = await insertMessage(ctx.client, threadId, init, nowSeconds())
      if (message === null) throw notFound('thread', threadId)
      return message
    },

    async get(threadId: string, id: string): Promise<Message | null> {
      const { rows } = await ctx.client.query('SELECT body FROM messages WHERE id = $1 AND thread_id = $2', [
        id,
        threadId,
      ])
      return bodies<Message>(rows)[0] ?? null
    },

    async list(threadId: string, query: MessageListParams = {}): Promise<ListPage<Message>> {
      const { run_id: runId, ...page } = query
      const { rows } = await ctx.client.query('SELECT 1 FROM threads WHERE id = $1', [threadId])
      if (rows.length === 0) throw notFound('thread', threadId)
      const filters = runId === undefined ? [] : [['run_id', runId] as const]
      return listPage<Message>(ctx.client, { table: 'messages', parent: [['thread_id', threadId]], filters }, page)
    },

    update(threadId: string, id: string, patch: MessagePatch): Promise<Message> {
      return change(threadId, id, (current) => ({ ...current, ...definedOnly(patch) }))
    },

    appendText(threadId: string, id: string, text: string): Promise<Message> {
      return change(threadId, id, (current) => {
        const content = [...current.content]
        const last = content.at(-1)
        if (last?.type === 'text') {
          content[content.length - 1] = { type: 'text', text: { ...last.text, value: last.text.value + text } }
        } else {
          content.push({ type: 'text', text: { value: text, annotations: [] } })
        }
        return { ...current, content }
      })
    },

    setStatus(
      threadId: string,
      id: string,
      status: Exclude<MessageStatus, 'in_progress'>,
      details?: MessageIncompleteDetails,
    ): Promise<Message> {
      const at = nowSeconds()
      return change(threadId, id, (current) =>
        status === 'completed'
          ? { ...current, status, completed_at: at, incomplete_at: null, incomplete_details: null }
          : { ...current, status, incomplete_at: at, incomplete_details: details ?? null },
      )
    },

    async delete(threadId: string, id: string): Promise<MessageDeleted> {
      const { rows } = await ctx.client.query('DELETE FROM messages WHERE id = $1 AND thread_id = $2 RETURNING id', [
        id,
        threadId,
      ])
      if (rows.length === 0) throw notFound('message', id)
      return { id, object: 'thread.message.deleted', deleted: true }
    },
  }
}
