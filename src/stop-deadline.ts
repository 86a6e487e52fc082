/** What the stop's deadline needs: when to give up, and on what it may wait longer. */
export type StopDeadline = {
  /** From the stop on, the process ends this long after the grace period, whatever it is still doing. */
  hardStopMs: number
  /** Whether the store has opened (or failed to): until then a stop waits for it instead of ending the process. */
  storeSettled: () => boolean
  /** Resolves once the store has opened or failed to. */
  storeOpen: Promise<unknown>
  /** The longest a stop waits for the store, counted from the stop. */
  storeOpenMaxMs: number
  /** Ends the process, saying how long after the stop. */
  expire: (waitedMs: number) => void
}

/**
 * Calls `expire` `ms` from now unless the process has ended. A store still opening then (PGlite's initdb on a new
 * data dir takes seconds, more on a busy machine, and cannot be cut short) gets until it is open, `storeOpenMaxMs` at
 * most, and the close its usual `hardStopMs` after that.
 */
export function armStopDeadline(deadline: StopDeadline, ms: number, since = performance.now()): void {
  setTimeout(() => {
    const waited = performance.now() - since
    if (deadline.storeSettled() || waited >= deadline.storeOpenMaxMs) return deadline.expire(waited)
    let armed = false
    const rearm = (after: number) => {
      if (armed) return
      armed = true
      armStopDeadline(deadline, after, since)
    }
    void deadline.storeOpen.then(() => rearm(deadline.hardStopMs))
    setTimeout(() => rearm(0), deadline.storeOpenMaxMs - waited).unref()
  }, ms).unref()
}
