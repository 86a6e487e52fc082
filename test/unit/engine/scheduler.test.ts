import t from 'tap'
import { EngineError } from '../../../src/engine/errors.js'
import { Scheduler, type Lane, type Slot } from '../../../src/engine/scheduler.js'

/** A scheduler on a clock the test moves by hand. */
function scheduler(slots: number, queueSize = 8, agingMs = 1000) {
  const clock = { now: 0 }
  const s = new Scheduler({ slots, queueSize, agingMs, now: () => clock.now })
  return { s, clock }
}

/** A waiting acquire whose outcome the test can read after the microtasks run. */
function request(s: Scheduler, lane: Lane, name: string, log: string[], signal?: AbortSignal) {
  const state: { slot: Slot | null; error: EngineError | null } = { slot: null, error: null }
  const done = s.acquire(lane, signal).then(
    (slot) => {
      state.slot = slot
      log.push(name)
    },
    (error: EngineError) => {
      state.error = error
    },
  )
  return Object.assign(state, { done })
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

t.test('a free slot goes to interactive before background and batch, whatever the arrival order', async (t) => {
  const { s } = scheduler(1)
  const log: string[] = []
  const first = request(s, 'interactive', 'first', log)
  await settle()
  request(s, 'batch', 'batch', log)
  request(s, 'background', 'background', log)
  request(s, 'interactive', 'interactive', log)
  await settle()
  t.same(s.stats.lanes, {
    interactive: { running: 1, queued: 1 },
    background: { running: 0, queued: 1 },
    batch: { running: 0, queued: 1 },
  })
  t.equal(s.queued, 3)
  first.slot?.release()
  await settle()
  t.same(log, ['first', 'interactive'])
  t.same(s.stats.lanes.interactive, { running: 1, queued: 0 })
  t.equal(s.busy, 1)
})

t.test('each lane is served in arrival order', async (t) => {
  const { s } = scheduler(1)
  const log: string[] = []
  const holder = request(s, 'interactive', 'holder', log)
  await settle()
  const runs = ['run1', 'run2', 'run3'].map((name) => request(s, 'background', name, log))
  await settle()
  holder.slot?.release()
  for (const run of runs) {
    await settle()
    run.slot?.release()
  }
  await settle()
  t.same(log, ['holder', 'run1', 'run2', 'run3'])
  t.equal(s.busy, 0)
})

t.test(
  'aging: before the bound, interactive work that arrived after a background waiter still goes first',
  async (t) => {
    const { s, clock } = scheduler(1, 8, 1000)
    const log: string[] = []
    const holder = request(s, 'interactive', 'holder', log)
    await settle()
    request(s, 'background', 'run', log)
    clock.now = 100
    request(s, 'interactive', 'newer chat', log)
    await settle()
    clock.now = 999
    holder.slot?.release()
    await settle()
    t.same(log, ['holder', 'newer chat'])
  },
)

t.test('aging: a background waiter past the bound goes ahead of newer interactive work only', async (t) => {
  const { s, clock } = scheduler(1, 8, 1000)
  const log: string[] = []
  const holder = request(s, 'interactive', 'holder', log)
  await settle()
  clock.now = 10
  const olderChat = request(s, 'interactive', 'older chat', log)
  clock.now = 20
  request(s, 'background', 'run', log)
  clock.now = 30
  const newerChat = request(s, 'interactive', 'newer chat', log)
  await settle()
  clock.now = 1020 // the run has waited exactly the bound
  holder.slot?.release()
  await settle()
  t.same(log, ['holder', 'older chat'], 'a chat that arrived before the run still goes first')
  olderChat.slot?.release()
  await settle()
  t.same(log, ['holder', 'older chat', 'run'], 'the aged run goes before the newer chat')
  t.equal(newerChat.slot, null, 'the newer chat waits')
  t.same(s.stats.lanes.interactive, { running: 0, queued: 1 })
})

t.test('only interactive work is bounded: past queueSize it fails busy, background never does', async (t) => {
  const { s } = scheduler(1, 1)
  const log: string[] = []
  request(s, 'interactive', 'running', log)
  await settle()
  const queued = request(s, 'interactive', 'queued', log)
  const runs = Array.from({ length: 20 }, (_, i) => request(s, 'background', `run${i}`, log))
  const batch = request(s, 'batch', 'batch', log)
  const over = request(s, 'interactive', 'over', log)
  await settle()
  t.match(over.error, { code: 'busy' }, 'the second waiting interactive request is refused')
  t.match(over.error?.message, /1 requests running and 22 queued/)
  t.equal(queued.error, null)
  t.ok(
    runs.every((r) => r.error === null),
    'no background waiter failed',
  )
  t.equal(batch.error, null, 'nor the batch one')
  t.equal(s.stats.lanes.background.queued, 20)
})

t.test('queueSize 0: interactive work runs only when a slot is free at once', async (t) => {
  const { s } = scheduler(1, 0)
  const log: string[] = []
  const a = request(s, 'interactive', 'a', log)
  const b = request(s, 'interactive', 'b', log)
  await settle()
  t.ok(a.slot)
  t.match(b.error, { code: 'busy' })
  const run = request(s, 'background', 'run', log)
  await settle()
  t.equal(run.error, null, 'background still waits')
})

t.test('batch never takes the last free slot of several, and starts only when nothing else waits', async (t) => {
  const { s } = scheduler(3)
  const log: string[] = []
  const batches = ['b1', 'b2', 'b3'].map((name) => request(s, 'batch', name, log))
  await settle()
  t.same(log, ['b1', 'b2'], 'two of three slots')
  t.equal(s.busy, 2)
  const chat = request(s, 'interactive', 'chat', log)
  await settle()
  t.ok(chat.slot, 'interactive work finds the slot batch left free')
  request(s, 'background', 'run', log)
  await settle()
  batches[0]?.slot?.release()
  await settle()
  t.same(log, ['b1', 'b2', 'chat', 'run'], 'a freed slot goes to the waiting run, not to b3')
  chat.slot?.release()
  await settle()
  t.same(log, ['b1', 'b2', 'chat', 'run', 'b3'], 'b3 starts once nothing else waits')
})

t.test('with one slot, batch starts only when no interactive or background work waits', async (t) => {
  const { s } = scheduler(1)
  const log: string[] = []
  const holder = request(s, 'background', 'run', log)
  await settle()
  request(s, 'batch', 'batch', log)
  const chat = request(s, 'interactive', 'chat', log)
  await settle()
  holder.slot?.release()
  await settle()
  t.same(log, ['run', 'chat'])
  chat.slot?.release()
  await settle()
  t.same(log, ['run', 'chat', 'batch'])
})

t.test('abort while queued: the waiter leaves its lane and rejects aborted', async (t) => {
  const { s } = scheduler(1)
  const log: string[] = []
  const holder = request(s, 'interactive', 'holder', log)
  await settle()
  const controller = new AbortController()
  const run = request(s, 'background', 'run', log, controller.signal)
  const next = request(s, 'background', 'next', log)
  await settle()
  controller.abort()
  await settle()
  t.match(run.error, { code: 'aborted' })
  t.equal(s.stats.lanes.background.queued, 1)
  holder.slot?.release()
  await settle()
  t.same(log, ['holder', 'next'], 'the slot skips the aborted waiter')
  t.ok(next.slot)
})

t.test('abort before acquire rejects at once and takes no slot', async (t) => {
  const { s } = scheduler(1)
  await t.rejects(s.acquire('interactive', AbortSignal.abort()), { code: 'aborted' })
  t.equal(s.busy, 0)
})

t.test('abort at grant: a slot granted in the same tick as the abort goes straight back', async (t) => {
  const { s } = scheduler(1)
  const log: string[] = []
  const holder = request(s, 'interactive', 'holder', log)
  await settle()
  const controller = new AbortController()
  const run = request(s, 'background', 'run', log, controller.signal)
  const next = request(s, 'background', 'next', log)
  await settle()
  holder.slot?.release() // grants the slot to `run` synchronously
  controller.abort() // before `run` can see it
  await settle()
  t.match(run.error, { code: 'aborted' }, 'the caller sees the abort, not a slot')
  t.same(log, ['holder', 'next'], 'the slot went on to the next waiter')
  t.equal(s.busy, 1)
})

t.test('abort after grant: the holder keeps the slot until it releases it', async (t) => {
  const { s } = scheduler(1)
  const log: string[] = []
  const controller = new AbortController()
  const run = request(s, 'background', 'run', log, controller.signal)
  await settle()
  controller.abort()
  await settle()
  t.equal(s.busy, 1, 'still held: the engine stops the work, the holder releases')
  run.slot?.release()
  t.equal(s.busy, 0)
})

t.test('release twice is harmless', async (t) => {
  const { s } = scheduler(1)
  const log: string[] = []
  const a = request(s, 'interactive', 'a', log)
  await settle()
  const b = request(s, 'interactive', 'b', log)
  await settle()
  a.slot?.release()
  a.slot?.release()
  await settle()
  t.equal(s.busy, 1, 'b holds the only slot; the second release did not free it')
  t.ok(b.slot)
  const c = request(s, 'interactive', 'c', log)
  await settle()
  t.equal(c.slot, null, 'c waits')
})

t.test('pause holds every lane (engine restart), resume grants in order', async (t) => {
  const { s } = scheduler(2)
  s.pause()
  const log: string[] = []
  request(s, 'background', 'run', log)
  request(s, 'interactive', 'chat', log)
  await settle()
  t.same(log, [], 'nothing starts while paused')
  t.equal(s.queued, 2)
  s.resume()
  await settle()
  t.same(log, ['chat', 'run'])
  t.equal(s.busy, 2)
})

t.test('rejectAll fails the waiters of every lane; holders keep their slots', async (t) => {
  const { s } = scheduler(1)
  const log: string[] = []
  const holder = request(s, 'interactive', 'holder', log)
  await settle()
  const waiters = (['interactive', 'background', 'batch'] as const).map((lane) => request(s, lane, lane, log))
  await settle()
  s.rejectAll(new EngineError('closed', 'The engine was shut down'))
  await settle()
  t.ok(waiters.every((w) => w.error?.code === 'closed'))
  t.equal(s.queued, 0)
  t.equal(s.busy, 1)
  holder.slot?.release()
  t.equal(s.busy, 0)
})

t.test('onGrant reports each grant with its lane and how long its waiter waited', async (t) => {
  const clock = { now: 0 }
  const grants: [Lane, number][] = []
  const s = new Scheduler({
    slots: 1,
    queueSize: 8,
    now: () => clock.now,
    onGrant: (lane, ms) => grants.push([lane, ms]),
  })
  const log: string[] = []
  const first = request(s, 'interactive', 'first', log)
  await settle()
  request(s, 'background', 'second', log)
  clock.now = 250
  first.slot?.release()
  await settle()
  t.same(grants, [
    ['interactive', 0],
    ['background', 250],
  ])
})
