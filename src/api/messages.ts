import { BadRequestError, NotFoundError } from '../http/errors.js'
import type { Router } from '../http/router.js'
import {
  Message,
  MessageCreateParams,
  MessageDeleted,
  MessageListParams,
  MessagePath,
  MessagesPage,
  MessageUpdateParams,
} from '../schemas/messages.js'
import { ThreadPath } from '../schemas/threads.js'
import type { Store } from '../store/store.js'
import { checkNewMessage, modelTakesImages } from './assistants-input.js'
import { type ApiDeps } from './deps.js'
import { requireThread } from './require-thread.js'

/** Registers the /v1/threads/:thread_id/messages routes (create, list, retrieve, modify, delete). */
export function registerMessages(router: Router, deps: ApiDeps): void {
  const { store } = deps
  router.post(
    '/v1/threads/:thread_id/messages',
    { params: ThreadPath, body: MessageCreateParams, response: Message, summary: 'Adds a message to a thread' },
    (c) => {
      checkNewMessage(c.body, { prefix: '', hasImageInput: modelTakesImages(deps) })
      const threadId = c.params.thread_id
      // One transaction, so a run cannot start between the check and the insert
      return store.transaction(async (tx) => {
        const active = await tx.runs.activeRun(threadId)
        if (active)
          throw new BadRequestError(`Can't add messages to ${threadId} while a run ${active.id} is active.`, {
            shouldRetry: false,
          })
        return tx.messages.create(threadId, c.body)
      })
    },
  )

  router.get(
    '/v1/threads/:thread_id/messages',
    { params: ThreadPath, query: MessageListParams, response: MessagesPage, summary: 'Lists the messages of a thread' },
    (c) => {
      return store.messages.list(c.params.thread_id, c.query)
    },
  )

  router.get(
    '/v1/threads/:thread_id/messages/:message_id',
    { params: MessagePath, response: Message, summary: 'Retrieves a message' },
    (c) => {
      return requireMessage(store, c.params.thread_id, c.params.message_id)
    },
  )

  router.post(
    '/v1/threads/:thread_id/messages/:message_id',
    {
      params: MessagePath,
      body: MessageUpdateParams,
      response: Message,
      summary: 'Modifies the metadata of a message',
    },
    async (c) => {
      const { thread_id: threadId, message_id: messageId } = c.params
      const current = await requireMessage(store, threadId, messageId)
      if (c.body.metadata === undefined) return current
      return store.messages.update(threadId, messageId, { metadata: c.body.metadata ?? {} })
    },
  )

  router.delete(
    '/v1/threads/:thread_id/messages/:message_id',
    { params: MessagePath, response: MessageDeleted, summary: 'Deletes a message' },
    async (c) => {
      await requireThread(store, c.params.thread_id) // an unknown thread is named as such, not as a missing message
      return store.messages.delete(c.params.thread_id, c.params.message_id)
    },
  )
}

/** The message of this thread, or a 404 naming the thread (unknown thread) or the message (unknown or elsewhere). */
async function requireMessage(store: Store, threadId: string, messageId: string): Promise<Message> {
  const message = await store.messages.get(threadId, messageId)
  if (message) return message
  await requireThread(store, threadId)
  throw new NotFoundError('message', messageId)
}
