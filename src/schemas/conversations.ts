import { Type, type Static } from 'typebox'
import { ConversationId, ItemId } from './ids.js'
import { ResponseInputItem, ResponseItem } from './responses.js'
import { ListQuery, ListResponse, Metadata, Nullable, UnixTime } from './shared.js'

/** A conversation: a durable list of items that responses read and append to. */
export const Conversation = Type.Object({
  id: Type.String(),
  object: Type.Literal('conversation'),
  created_at: UnixTime,
  metadata: Metadata,
})
export type Conversation = Static<typeof Conversation>

const NewItems = Type.Array(ResponseInputItem, { maxItems: 20, description: 'At most 20 items to add.' })

/** POST /v1/conversations body. */
export const ConversationCreateParams = Type.Object(
  { items: Type.Optional(Nullable(NewItems)), metadata: Type.Optional(Nullable(Metadata)) },
  { additionalProperties: false },
)
export type ConversationCreateParams = Static<typeof ConversationCreateParams>

/** POST /v1/conversations/{conversation_id} body. */
export const ConversationUpdateParams = Type.Object({ metadata: Nullable(Metadata) }, { additionalProperties: false })
export type ConversationUpdateParams = Static<typeof ConversationUpdateParams>

/** DELETE /v1/conversations/{conversation_id} reply. */
export const ConversationDeleted = Type.Object({
  id: Type.String(),
  object: Type.Literal('conversation.deleted'),
  deleted: Type.Boolean(),
})
export type ConversationDeleted = Static<typeof ConversationDeleted>

/** Path of /v1/conversations/{conversation_id} and its items. */
export const ConversationPath = Type.Object({ conversation_id: ConversationId })

/** Path of /v1/conversations/{conversation_id}/items/{item_id}. */
export const ConversationItemPath = Type.Object({ conversation_id: ConversationId, item_id: ItemId })

/** POST /v1/conversations/{conversation_id}/items body. */
export const ItemCreateParams = Type.Object({ items: NewItems }, { additionalProperties: false })
export type ItemCreateParams = Static<typeof ItemCreateParams>

/** `include` of the item endpoints (accepted; no value changes what this server returns). */
export const ItemIncludeParams = Type.Object({ include: Type.Optional(Type.Array(Type.String())) })

/** GET /v1/conversations/{conversation_id}/items query. */
export const ItemListParams = Type.Object({
  after: Type.Optional(ItemId),
  limit: ListQuery.properties.limit,
  order: ListQuery.properties.order,
  include: Type.Optional(Type.Array(Type.String())),
})
export type ItemListParams = Static<typeof ItemListParams>

/** A page of conversation items. */
export const ConversationItemList = ListResponse(ResponseItem)
