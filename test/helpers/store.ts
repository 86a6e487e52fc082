import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Assistant } from '../../src/schemas/assistants.js'
import { openPgliteStore } from '../../src/store/pglite.js'
import type { RunInit, Store } from '../../src/store/store.js'

type Teardown = { teardown(fn: () => unknown): void }

/** A fresh temp directory, removed at teardown. */
export async function tempDir(t: Teardown, prefix = 'oxillama-store-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** A store opened on a fresh temp directory; closed (before the directory goes) at teardown. */
export async function openTempStore(t: Teardown): Promise<{ store: Store; dir: string }> {
  const dir = await tempDir(t)
  const store = await openPgliteStore(dir)
  t.teardown(() => store.close())
  return { store, dir }
}

/** RunInit with every setting taken from the assistant, as the runs layer resolves it. */
export function runInitFor(assistant: Assistant, overrides: Partial<RunInit> = {}): RunInit {
  return {
    assistant_id: assistant.id,
    model: assistant.model,
    instructions: assistant.instructions ?? '',
    tools: assistant.tools,
    tool_choice: 'auto',
    parallel_tool_calls: true,
    response_format: assistant.response_format ?? 'auto',
    truncation_strategy: { type: 'auto', last_messages: null },
    max_prompt_tokens: null,
    max_completion_tokens: null,
    temperature: assistant.temperature ?? 1,
    top_p: assistant.top_p ?? 1,
    ...overrides,
  }
}
