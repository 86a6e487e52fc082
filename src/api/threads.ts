import type { Router } from '../http/router.js'
import { RunStateError } from '../runs/machine.js'
import type { RunQueue } from '../runs/queue.js'
import { Thread, ThreadCreateParams, ThreadDeleted, ThreadPath, ThreadUpdateParams } from '../schemas/threads.js'
import { StoreError } from '../store/errors.js'
import type { Store } from '../store/store.js'
import { checkNewMessages, checkToolResources, modelTakesImages } from './assistants-input.js'
import { type ApiDeps } from './deps.js'
import { requireThread } from './require-thread.js'

/** Registers POST /v1/threads and GET/POST/DELETE /v1/threads/:thread_id. */
export function registerThreads(router: Router, deps: ApiDeps): void {
  const { store } = deps
  router.post(
    '/v1/threads',
    { body: ThreadCreateParams, response: Thread, summary: 'Creates a thread, with its initial messages' },
    (c) => {
      checkNewMessages(c.body.messages, { param: 'messages', hasImageInput: modelTakesImages(deps) })
      checkToolResources(c.body.tool_resources)
      return store.threads.create(c.body)
    },
  )

  router.get('/v1/threads/:thread_id', { params: ThreadPath, response: Thread, summary: 'Retrieves a thread' }, (c) => {
    return requireThread(store, c.params.thread_id)
  })

  router.post(
    '/v1/threads/:thread_id',
    { params: ThreadPath, body: ThreadUpdateParams, response: Thread, summary: 'Modifies a thread' },
    (c) => {
      checkToolResources(c.body.tool_resources)
      return store.threads.update(c.params.thread_id, c.body)
    },
  )

  router.delete(
    '/v1/threads/:thread_id',
    { params: ThreadPath, response: ThreadDeleted, summary: 'Deletes a thread with its messages, runs and steps' },
    async (c) => {
      if (deps.runs) await cancelActiveRun(store, deps.runs, c.params.thread_id)
      return store.threads.delete(c.params.thread_id)
    },
  )
}

/** Stops the thread's active run first, so the queue does not go on writing into a deleted thread. */
async function cancelActiveRun(store: Store, runs: RunQueue, threadId: string): Promise<void> {
  const active = await store.runs.activeRun(threadId)
  if (!active) return
  try {
    await runs.cancel(threadId, active.id)
  } catch (error) {
    // It ended or changed state meanwhile: the thread goes either way
    if (!(error instanceof RunStateError) && !(error instanceof StoreError && error.code === 'conflict')) throw error
  }
}
