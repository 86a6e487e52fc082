/** What the stop's deadline needs: when to give up, and on what it may wait longer. */
export type StopDeadline = {
  /** From the stop on, the process ends this long after the grace period, whatever it is still doing. */
  hardStopMs: number
  /** Settles (never rejects) once the store has opened or failed to: until then a stop waits for it. */
  storeOpen: Promise<unknown>
  /** The longest a stop waits for the store, counted from the stop. */
  storeOpenMaxMs: number
  /** Called when the deadline comes and finds the store still opening, before the wait for it. */
  waitingForStore: () => void
  /** Ends the process, saying how long after the stop. */
  expire: (waitedMs: number) => void
}

/**
 * Calls `expire` `ms` from now unless the process has ended. A store still opening then (PGlite's initdb on a new
 * data dir takes seconds, more on a busy machine, and cannot be cut short) gets until it is open, `storeOpenMaxMs` at
 * most, and the close its usual `hardStopMs` after that.
 */
export function armStopDeadline(deadline: StopDeadline, ms: number): void {
  const since = performance.now()
  let storeSettled = false
  void deadline.storeOpen.then(() => (storeSettled = true))
  const arm = (after: number) =>
    setTimeout(() => {
      const waited = performance.now() - since
      if (storeSettled || waited >= deadline.storeOpenMaxMs) return deadline.expire(waited)
      deadline.waitingForStore()
      let armed = false
      const rearm = (next: number) => {
        if (armed) return
        armed = true
        arm(next)
      }
      void deadline.storeOpen.then(() => rearm(deadline.hardStopMs))
      setTimeout(() => rearm(0), deadline.storeOpenMaxMs - waited).unref()
    }, after).unref()
  arm(ms)
}
