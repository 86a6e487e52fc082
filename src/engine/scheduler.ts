import { EngineError } from './errors.js'

/**
 * The kinds of engine work. `interactive`: an HTTP client waits on the reply (chat, completions, embeddings);
 * `background`: work the server owns and finishes later (Assistants runs); `batch`: bulk work with a long deadline.
 */
export type Lane = 'interactive' | 'background' | 'batch'

/** Every lane, in the order a free slot looks at them (aging aside). */
export const LANES: readonly Lane[] = ['interactive', 'background', 'batch']

/**
 * How long a background waiter yields to interactive work that arrives after it. Past this, it is served before any
 * newer interactive request: under steady interactive load a background job starts within this bound plus the time
 * one slot takes to free, yet a person waiting on a reply normally goes first.
 */
export const DEFAULT_AGING_MS = 30_000

/** A granted engine slot. Call release() once the work is done; later calls do nothing. */
export interface Slot {
  readonly lane: Lane
  release(): void
}

/** Settings of a Scheduler. */
export interface SchedulerOptions {
  /** Engine slots: how much work runs at once. */
  slots: number
  /** Interactive requests that may wait for a slot; past this they fail at once with `busy`. */
  queueSize: number
  agingMs?: number
  /** The clock, in ms (tests). */
  now?: () => number
  /** Called as each slot is granted, with how long its waiter waited in ms (metrics). */
  onGrant?: (lane: Lane, waitedMs: number) => void
}

/** Work running and waiting in one lane. */
export interface LaneStats {
  running: number
  queued: number
}

/** Live counters of a Scheduler. */
export interface SchedulerStats {
  slots: number
  busy: number
  lanes: Record<Lane, LaneStats>
}

interface Waiter {
  lane: Lane
  since: number
  resolve(slot: Slot): void
  reject(error: Error): void
  signal: AbortSignal | undefined
  onAbort: () => void
}

/**
 * Admits all engine work into the engine's slots, one queue with lanes. A free slot goes to the oldest interactive
 * waiter, unless the oldest background waiter has waited `agingMs` and arrived before it; then to background; batch
 * only when nothing else waits, and never into the last free slot when there are several. Only interactive requests
 * are bounded (`queueSize`); background and batch work waits as long as it takes.
 */
export class Scheduler {
  #slots: number
  #queueSize: number
  #agingMs: number
  #now: () => number
  #onGrant: ((lane: Lane, waitedMs: number) => void) | undefined
  #paused = false
  #waiting: Record<Lane, Waiter[]> = { interactive: [], background: [], batch: [] }
  #running: Record<Lane, number> = { interactive: 0, background: 0, batch: 0 }

  constructor(options: SchedulerOptions) {
    this.#slots = options.slots
    this.#queueSize = options.queueSize
    this.#agingMs = options.agingMs ?? DEFAULT_AGING_MS
    this.#now = options.now ?? Date.now
    this.#onGrant = options.onGrant
  }

  /** Slots in use now. */
  get busy(): number {
    return this.#running.interactive + this.#running.background + this.#running.batch
  }

  /** Waiters across every lane. */
  get queued(): number {
    return this.#waiting.interactive.length + this.#waiting.background.length + this.#waiting.batch.length
  }

  /** Slots, busy slots, and per lane what runs and what waits. */
  get stats(): SchedulerStats {
    const lane = (l: Lane): LaneStats => ({ running: this.#running[l], queued: this.#waiting[l].length })
    return {
      slots: this.#slots,
      busy: this.busy,
      lanes: { interactive: lane('interactive'), background: lane('background'), batch: lane('batch') },
    }
  }

  /**
   * Waits for a slot in the lane. Rejects with `busy` (interactive past the bound), `aborted` (the signal fired while
   * waiting or as the slot was granted: the slot goes straight back) or the error given to rejectAll().
   */
  async acquire(lane: Lane, signal?: AbortSignal): Promise<Slot> {
    const slot = await this.#wait(lane, signal)
    if (signal?.aborted) {
      // granted and aborted in the same tick: nobody will use this slot
      slot.release()
      throw new EngineError('aborted', 'The request was aborted')
    }
    return slot
  }

  /** Stops granting slots (while the engine restarts); waiters keep their place. */
  pause(): void {
    this.#paused = true
  }

  /** Grants slots again. */
  resume(): void {
    this.#paused = false
    this.#dispatch()
  }

  /** Fails every waiter of every lane (shutdown). */
  rejectAll(error: Error): void {
    for (const lane of LANES) {
      for (const waiter of this.#waiting[lane].splice(0)) {
        waiter.signal?.removeEventListener('abort', waiter.onAbort)
        waiter.reject(error)
      }
    }
  }

  #wait(lane: Lane, signal: AbortSignal | undefined): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(new EngineError('aborted', 'The request was aborted'))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        lane,
        since: this.#now(),
        resolve,
        reject,
        signal,
        onAbort: () => {
          if (!this.#remove(waiter)) return
          reject(new EngineError('aborted', 'The request was aborted while queued'))
          this.#dispatch()
        },
      }
      this.#waiting[lane].push(waiter)
      this.#dispatch()
      if (!this.#waiting[lane].includes(waiter)) return
      if (lane === 'interactive' && this.#waiting.interactive.length > this.#queueSize) {
        this.#remove(waiter)
        const { busy, queued } = this
        reject(new EngineError('busy', `The server is busy: ${busy} requests running and ${queued} queued`))
        return
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true })
    })
  }

  #remove(waiter: Waiter): boolean {
    const list = this.#waiting[waiter.lane]
    const at = list.indexOf(waiter)
    if (at < 0) return false
    list.splice(at, 1)
    return true
  }

  #dispatch(): void {
    while (!this.#paused && this.busy < this.#slots) {
      const waiter = this.#pick()
      if (!waiter) return
      this.#remove(waiter)
      waiter.signal?.removeEventListener('abort', waiter.onAbort)
      this.#onGrant?.(waiter.lane, this.#now() - waiter.since)
      waiter.resolve(this.#grant(waiter.lane))
    }
  }

  #pick(): Waiter | undefined {
    const interactive = this.#waiting.interactive[0]
    const background = this.#waiting.background[0]
    if (background) {
      const aged = this.#now() - background.since >= this.#agingMs
      if (!interactive || (aged && background.since <= interactive.since)) return background
    }
    if (interactive) return interactive
    const batch = this.#waiting.batch[0]
    // with several slots, batch leaves one free for work that may arrive; with one, it runs only when nothing waits
    if (batch && (this.#slots === 1 || this.#running.batch < this.#slots - 1)) return batch
    return undefined
  }

  #grant(lane: Lane): Slot {
    this.#running[lane]++
    let released = false
    return {
      lane,
      release: () => {
        if (released) return
        released = true
        this.#running[lane]--
        this.#dispatch()
      },
    }
  }
}
