import { NotFoundError } from '../http/errors.js'
import type { Router } from '../http/router.js'
import {
  Conversation,
  ConversationCreateParams,
  ConversationDeleted,
  ConversationItemList,
  ConversationItemPath,
  ConversationPath,
  ConversationUpdateParams,
  ItemCreateParams,
  ItemIncludeParams,
  ItemListParams,
} from '../schemas/conversations.js'
import { ResponseItem } from '../schemas/responses.js'
import { type ApiDeps } from './deps.js'
import { toResponseItems } from './responses-input.js'

/** Registers /v1/conversations (create, retrieve, update, delete) and its items (create, list, retrieve, delete). */
export function registerConversations(router: Router, deps: ApiDeps): void {
  router.post(
    '/v1/conversations',
    { body: ConversationCreateParams, response: Conversation, summary: 'Creates a conversation, with its first items' },
    (c) => deps.store.conversations.create(c.body.metadata, toResponseItems(c.body.items ?? [], 'items')),
  )

  router.get(
    '/v1/conversations/:conversation_id',
    { params: ConversationPath, response: Conversation, summary: 'Retrieves a conversation' },
    async (c) => {
      const conversation = await deps.store.conversations.get(c.params.conversation_id)
      if (!conversation) throw new NotFoundError('conversation', c.params.conversation_id)
      return conversation
    },
  )

  router.post(
    '/v1/conversations/:conversation_id',
    {
      params: ConversationPath,
      body: ConversationUpdateParams,
      response: Conversation,
      summary: "Replaces a conversation's metadata",
    },
    (c) => deps.store.conversations.update(c.params.conversation_id, c.body.metadata),
  )

  router.delete(
    '/v1/conversations/:conversation_id',
    { params: ConversationPath, response: ConversationDeleted, summary: 'Deletes a conversation with its items' },
    (c) => deps.store.conversations.delete(c.params.conversation_id),
  )

  router.post(
    '/v1/conversations/:conversation_id/items',
    {
      params: ConversationPath,
      query: ItemIncludeParams,
      body: ItemCreateParams,
      response: ConversationItemList,
      summary: 'Appends items to a conversation',
    },
    async (c) => {
      const items = await deps.store.conversations.appendItems(
        c.params.conversation_id,
        toResponseItems(c.body.items, 'items'),
      )
      return {
        object: 'list' as const,
        data: items,
        first_id: items[0]?.id ?? null,
        last_id: items.at(-1)?.id ?? null,
        has_more: false,
      }
    },
  )

  router.get(
    '/v1/conversations/:conversation_id/items',
    {
      params: ConversationPath,
      query: ItemListParams,
      response: ConversationItemList,
      summary: "Lists a conversation's items",
    },
    (c) => deps.store.conversations.listItems(c.params.conversation_id, c.query),
  )

  router.get(
    '/v1/conversations/:conversation_id/items/:item_id',
    { params: ConversationItemPath, query: ItemIncludeParams, response: ResponseItem, summary: 'Retrieves an item' },
    async (c) => {
      const { conversation_id, item_id } = c.params
      const item = await deps.store.conversations.getItem(conversation_id, item_id)
      if (!item) throw new NotFoundError('item', item_id)
      return item
    },
  )

  router.delete(
    '/v1/conversations/:conversation_id/items/:item_id',
    {
      params: ConversationItemPath,
      response: Conversation,
      summary: 'Deletes an item; replies with its conversation',
    },
    (c) => deps.store.conversations.deleteItem(c.params.conversation_id, c.params.item_id),
  )
}
