import fs from 'node:fs/promises'
import t, { type Test } from 'tap'
import { createBackground } from '../../../src/api/responses-background.js'
import { draftResponse } from '../../../src/api/responses-context.js'
import { toResponseItems } from '../../../src/api/responses-input.js'
import { ResponseRunner } from '../../../src/api/response-runner.js'
import type { ApiDeps } from '../../../src/api/deps.js'
import type { Engine } from '../../../src/engine/engine.js'
import type { Slot } from '../../../src/engine/scheduler.js'
import type { Response } from '../../../src/schemas/responses.js'
import { openPgliteStore } from '../../../src/store/pglite.js'
import type { Store } from '../../../src/store/store.js'
import { freshDataDir } from '../../helpers/data-dir.js'
import { memoryLogger } from '../../helpers/engine.js'

// The real store decides these races with its guarded writes; the engine is a stand-in that grants its one slot when
// the test says so and records any attempt to generate (none of these responses may get that far)

function fakeEngine() {
  let grant: () => void = () => {}
  const granted = new Promise<void>((resolve) => {
    grant = resolve
  })
  const state = { releases: 0, generated: false, grant }
  const engine = {
    reserve: async (): Promise<Slot> => {
      await granted
      return { lane: 'background', release: () => void state.releases++ }
    },
    get model(): never {
      state.generated = true
      throw new Error('No model in this test')
    },
  }
  return { engine: engine as unknown as Engine, state }
}

async function setup(t: Test, engine: Engine, wrap: (store: Store) => Store = (s) => s) {
  const dir = await freshDataDir('oxillama-response-race-')
  const real = await openPgliteStore(dir)
  const store = wrap(real)
  const runner = new ResponseRunner({ store, engine, logger: memoryLogger() })
  t.teardown(async () => {
    await runner.close()
    await real.close()
    await fs.rm(dir, { recursive: true, force: true })
  })
  const deps = { store, responseRunner: runner } as unknown as ApiDeps
  const body = { model: 'stories', input: 'Once', background: true }
  const input = toResponseItems(body.input)
  const created = (await createBackground(deps, {
    body,
    input,
    context: [],
    draft: draftResponse(body, []),
  })) as Response
  return { store: real, runner, created }
}

t.test('a response cancelled while it waits for a slot never starts, and its slot goes back', async (t) => {
  const { engine, state } = fakeEngine()
  const { store, runner, created } = await setup(t, engine)
  t.equal(created.status, 'queued')
  t.same(runner.stats, { waiting: 1, running: 0 })
  const cancelled = await runner.cancel(created.id)
  t.equal(cancelled.status, 'cancelled', 'the cancel succeeds at once')
  state.grant() // the runner now holds a slot for a response that is already cancelled
  await runner.idle()
  t.equal((await store.responses.get(created.id))?.status, 'cancelled')
  t.same(
    (await store.responses.events(created.id, -1)).map((e) => e.type),
    ['response.created', 'response.queued'],
    'no in_progress event',
  )
  t.notOk(state.generated, 'never generated')
  t.equal(state.releases, 1, 'the slot went back')
  t.same(await runner.cancel(created.id), cancelled, 'a second cancel returns the same object')
})

t.test('a cancel whose write lands while the runner writes in_progress wins; the response never starts', async (t) => {
  const { engine, state } = fakeEngine()
  state.grant()
  let ready: () => void = () => {}
  const setUp = new Promise<void>((resolve) => {
    ready = resolve
  })
  let cancel: () => Promise<unknown> = async () => undefined
  const { store, runner, created } = await setup(t, engine, (real) => ({
    ...real,
    responses: {
      ...real.responses,
      // the runner's in_progress write: the cancel goes first, then the guarded write must refuse it
      update: async (id, patch, options) => {
        if (patch.status === 'in_progress') {
          await setUp
          await cancel()
        }
        return real.responses.update(id, patch, options)
      },
    },
  }))
  let cancelled = null as Response | null
  cancel = async () => {
    cancelled = await runner.cancel(created.id)
  }
  ready()
  await runner.idle()
  t.equal(cancelled?.status, 'cancelled')
  t.equal((await store.responses.get(created.id))?.status, 'cancelled', 'the guarded write refused the start')
  t.notOk(state.generated, 'never generated')
  t.equal(state.releases, 1, 'the slot went back')
})
