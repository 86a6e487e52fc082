import { NotFoundError } from '../http/errors.js'
import type { Thread } from '../schemas/threads.js'
import type { Store } from '../store/store.js'

/** The thread with this id, or a 404 "No thread found with id '…'." */
export async function requireThread(store: Store, threadId: string): Promise<Thread> {
  const thread = await store.threads.get(threadId)
  if (!thread) throw new NotFoundError('thread', threadId)
  return thread
}
