import type { Engine } from '../../src/engine/engine.js'
import { RunEvents } from '../../src/runs/events.js'
import { RunQueue } from '../../src/runs/queue.js'
import { openPgliteStore } from '../../src/store/pglite.js'
import type { Store } from '../../src/store/store.js'
import { freshDataDir } from './data-dir.js'
import { memoryLogger } from './engine.js'

/** A store in a fresh temp dir, the run queue and events over a given engine. */
export async function startRunStack(
  engine: Engine,
  dataDir?: string,
  toolOutputTimeoutS = 600,
): Promise<{ store: Store; queue: RunQueue; events: RunEvents; dataDir: string; close(): Promise<void> }> {
  const dir = dataDir ?? (await freshDataDir('oxillama-runs-'))
  const store = await openPgliteStore(dir)
  const events = new RunEvents()
  const queue = new RunQueue({ store, engine, events, logger: memoryLogger(), toolOutputTimeoutS })
  return {
    store,
    queue,
    events,
    dataDir: dir,
    close: async () => {
      await queue.close()
      await store.close()
    },
  }
}

/** A resolved RunInit for tests. */
export function runInit(assistantId: string, extra: Record<string, unknown> = {}) {
  return {
    assistant_id: assistantId,
    model: 'stories',
    instructions: 'You tell stories.',
    tools: [],
    tool_choice: null,
    parallel_tool_calls: true,
    response_format: 'auto' as const,
    truncation_strategy: { type: 'auto' as const, last_messages: null },
    max_prompt_tokens: null,
    max_completion_tokens: null,
    temperature: 0,
    top_p: null,
    ...extra,
  }
}
