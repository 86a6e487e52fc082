import fs from 'node:fs/promises'
import t, { type Test } from 'tap'
import type { Engine } from '../../../src/engine/engine.js'
import { EngineError } from '../../../src/engine/errors.js'
import type { Slot } from '../../../src/engine/scheduler.js'
import { RunEvents } from '../../../src/runs/events.js'
import { RunQueue } from '../../../src/runs/queue.js'
import type { Run } from '../../../src/schemas/runs.js'
import type { AssistantStreamEvent } from '../../../src/schemas/stream-events.js'
import { openPgliteStore } from '../../../src/store/pglite.js'
import type { Store } from '../../../src/store/store.js'
import { freshDataDir } from '../../helpers/data-dir.js'
import { memoryLogger } from '../../helpers/engine.js'
import { runInit } from '../../helpers/runs.js'

// The real store decides these races with its guarded writes; the engine is a stand-in that grants its one slot
// when the test says so (no model is needed: the cancelled runs never generate)

/** A slot gate: reserve() waits until grant(); counts releases. */
function fakeEngine() {
  let grant: () => void = () => {}
  const granted = new Promise<void>((resolve) => {
    grant = resolve
  })
  const state = { releases: 0, grant }
  const engine = {
    reserve: async (): Promise<Slot> => {
      await granted // the scheduler dequeued the run before the cancel's abort arrived
      return { lane: 'background', release: () => void state.releases++ }
    },
    get tokenizer(): never {
      throw new EngineError('closed', 'No model in this test')
    },
  }
  return { engine: engine as unknown as Engine, state }
}

async function setup(t: Test, engine: Engine, wrap: (store: Store) => Store = (s) => s) {
  const dir = await freshDataDir('oxillama-race-')
  const real = await openPgliteStore(dir)
  const store = wrap(real)
  const events = new RunEvents()
  const queue = new RunQueue({ store, engine, events, logger: memoryLogger(), toolOutputTimeoutS: 600 })
  t.teardown(async () => {
    await queue.close()
    await real.close()
    await fs.rm(dir, { recursive: true, force: true })
  })
  const assistant = await real.assistants.create({ model: 'stories' })
  const thread = await real.threads.create({ messages: [{ role: 'user', content: 'Once' }] })
  const run = await real.runs.create(thread.id, runInit(assistant.id))
  const seen: AssistantStreamEvent['event'][] = []
  const stream = events.subscribe(run.id)
  const watching = (async () => {
    for await (const event of stream) seen.push(event.event)
  })()
  return { store: real, queue, run, seen, watching }
}

t.test('a cancel that aborts the run as its slot is granted cancels it; it never starts', async (t) => {
  const { engine, state } = fakeEngine()
  const { store, queue, run, seen, watching } = await setup(t, engine)
  queue.enqueue(run)
  t.same(queue.stats, { waiting: 1, running: 0 })
  const cancelled = await queue.cancel(run.thread_id, run.id)
  t.equal(cancelled.status, 'cancelled', 'the cancel succeeds at once')
  state.grant() // the executor now holds a slot for a run that is already cancelled
  await queue.idle()
  await watching
  const stored = (await store.runs.get(run.thread_id, run.id)) as Run
  t.equal(stored.status, 'cancelled')
  t.type(stored.cancelled_at, 'number')
  t.equal(stored.started_at, null, 'never started')
  t.same(seen, ['thread.run.cancelled'], 'no in_progress event')
  t.equal(state.releases, 1, 'the slot went back')
})

t.test(
  'a cancel whose write lands while the first write of the run is in flight wins; the run never starts',
  async (t) => {
    const { engine, state } = fakeEngine()
    state.grant()
    let openFirstWrite: () => void = () => {}
    const firstWrite = new Promise<void>((resolve) => {
      openFirstWrite = resolve
    })
    let writes = 0
    let executorWaiting: () => void = () => {}
    const executorAtWrite = new Promise<void>((resolve) => {
      executorWaiting = resolve
    })
    const { store, queue, run, seen, watching } = await setup(t, engine, (real) => ({
      ...real,
      // the executor's in_progress write is the first transaction: hold it until the cancel has written
      transaction: async (fn) => {
        if (writes++ === 0) {
          executorWaiting()
          await firstWrite
        }
        return real.transaction(fn)
      },
    }))
    queue.enqueue(run)
    await executorAtWrite
    const cancelled = await queue.cancel(run.thread_id, run.id)
    t.equal(cancelled.status, 'cancelled')
    openFirstWrite()
    await queue.idle()
    await watching
    const stored = (await store.runs.get(run.thread_id, run.id)) as Run
    t.same([stored.status, stored.started_at], ['cancelled', null], 'the guarded write refused the start')
    t.same(seen, ['thread.run.cancelled'])
    t.equal(state.releases, 1, 'the slot went back')
  },
)

t.test('a cancel that read queued while the run started goes to cancelling, then cancelled', async (t) => {
  const { engine, state } = fakeEngine()
  let stale: Run | null = null
  let openPrompt: () => void = () => {}
  const promptGate = new Promise<void>((resolve) => {
    openPrompt = resolve
  })
  const { store, queue, run, seen, watching } = await setup(t, engine, (real) => ({
    ...real,
    runs: {
      ...real.runs,
      // the cancel's first read returns what the run was before the executor's write
      get: async (threadId, id) => {
        const copy = stale
        stale = null
        return copy ?? real.runs.get(threadId, id)
      },
    },
    // the executor waits here, in_progress, until the cancel is through
    messages: { ...real.messages, list: async (...args) => (await promptGate, real.messages.list(...args)) },
  }))
  queue.enqueue(run)
  state.grant()
  while (!seen.includes('thread.run.in_progress')) await new Promise((resolve) => setImmediate(resolve))
  t.equal((await store.runs.get(run.thread_id, run.id))?.status, 'in_progress')
  stale = run
  const cancelling = await queue.cancel(run.thread_id, run.id)
  t.equal(cancelling.status, 'cancelling', 'the conflict made the cancel look again')
  openPrompt()
  await queue.idle()
  await watching
  const stored = (await store.runs.get(run.thread_id, run.id)) as Run
  t.equal(stored.status, 'cancelled')
  t.same(seen, ['thread.run.in_progress', 'thread.run.cancelling', 'thread.run.cancelled'])
  t.equal(state.releases, 1)
})
