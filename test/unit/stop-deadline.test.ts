// The stop's deadline (src/stop-deadline.ts): it ends the process on time, except that a store still being made gets
// until it is open (with a cap), then the close its usual time.
import t from 'tap'
import { armStopDeadline, type StopDeadline } from '../../src/stop-deadline.js'

type Probe = {
  deadline: StopDeadline
  expired: Promise<number>
  waiting: Promise<void>
  open(): void
  opened(): number
}

function probe(options: { open: boolean; hardStopMs: number; storeOpenMaxMs: number }): Probe {
  let openedAt = 0
  let open = () => {}
  const storeOpen = new Promise<void>((resolve) => {
    open = () => {
      openedAt = performance.now()
      resolve()
    }
  })
  if (options.open) open()
  let expire: (waited: number) => void = () => {}
  const expired = new Promise<number>((resolve) => (expire = resolve))
  let waitingForStore: () => void = () => {}
  const waiting = new Promise<void>((resolve) => (waitingForStore = resolve))
  const deadline: StopDeadline = {
    hardStopMs: options.hardStopMs,
    storeOpen,
    storeOpenMaxMs: options.storeOpenMaxMs,
    waitingForStore,
    expire,
  }
  return { deadline, expired, waiting, open, opened: () => openedAt }
}

// the deadline's timers are unref'd, as in the server: this one keeps the test's event loop alive
const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => clearInterval(keepAlive))

t.test('with the store open, the process ends when the deadline comes', async (t) => {
  const p = probe({ open: true, hardStopMs: 1000, storeOpenMaxMs: 60_000 })
  let waited = false
  void p.waiting.then(() => (waited = true))
  armStopDeadline(p.deadline, 30)
  const after = await p.expired
  t.ok(after >= 29, `ended ${after.toFixed(1)} ms after the stop`)
  t.equal(waited, false, 'no wait for a store that is open')
})

t.test('a store still opening at the deadline is waited for, then the close gets hardStopMs', async (t) => {
  const p = probe({ open: false, hardStopMs: 40, storeOpenMaxMs: 60_000 })
  let ended = false
  void p.expired.then(() => (ended = true))
  armStopDeadline(p.deadline, 10)
  await p.waiting // the deadline came and found the store still opening
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(ended, false, 'the process was not ended while the store opens')
  p.open()
  await p.expired
  const afterOpen = performance.now() - p.opened()
  t.ok(afterOpen >= 39, `ended ${afterOpen.toFixed(1)} ms after the store opened (hardStopMs 40)`)
})

t.test('a store that never opens ends the process at storeOpenMaxMs', async (t) => {
  const p = probe({ open: false, hardStopMs: 10, storeOpenMaxMs: 80 })
  armStopDeadline(p.deadline, 10)
  const waited = await p.expired
  t.ok(waited >= 79, `ended ${waited.toFixed(1)} ms after the stop (cap 80)`)
  t.equal(p.opened(), 0, 'the store never opened')
})
