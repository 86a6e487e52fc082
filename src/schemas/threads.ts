import { Type, type Static } from 'typebox'
import { ToolResources, ToolResourcesCreate } from './assistants.js'
import { MessageCreateParams } from './messages.js'
import { ThreadId } from './ids.js'
import { DeletedObject, Metadata, Nullable, UnixTime } from './shared.js'

/** A thread of messages. */
export const Thread = Type.Object({
  id: Type.String(),
  object: Type.Literal('thread'),
  created_at: UnixTime,
  metadata: Nullable(Metadata),
  tool_resources: Nullable(ToolResources),
})
export type Thread = Static<typeof Thread>

/** Thread properties shared by POST /v1/threads and the `thread` of create-and-run. */
export const THREAD_CREATE_PROPERTIES = {
  messages: Type.Optional(Type.Array(MessageCreateParams, { description: 'Messages to start the thread with.' })),
  metadata: Type.Optional(Nullable(Metadata)),
  tool_resources: Type.Optional(Nullable(ToolResourcesCreate)),
}

/** POST /v1/threads body. */
export const ThreadCreateParams = Type.Object(THREAD_CREATE_PROPERTIES, { additionalProperties: false })
export type ThreadCreateParams = Static<typeof ThreadCreateParams>

/** POST /v1/threads/{thread_id} body. */
export const ThreadUpdateParams = Type.Object(
  {
    metadata: Type.Optional(Nullable(Metadata)),
    tool_resources: Type.Optional(Nullable(ToolResources)),
  },
  { additionalProperties: false },
)
export type ThreadUpdateParams = Static<typeof ThreadUpdateParams>

/** DELETE /v1/threads/{thread_id} reply. */
export const ThreadDeleted = DeletedObject('thread.deleted')
export type ThreadDeleted = Static<typeof ThreadDeleted>

/** Path of /v1/threads/{thread_id} and everything under it that takes only the thread. */
export const ThreadPath = Type.Object({ thread_id: ThreadId })
export type ThreadPath = Static<typeof ThreadPath>
