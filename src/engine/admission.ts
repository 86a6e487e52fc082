import { EngineError } from './errors.js'

interface Waiter {
  resolve(release: () => void): void
  reject(error: Error): void
  signal: AbortSignal | undefined
  onAbort: () => void
}

/**
 * Admits at most `slots` requests into the engine at once and queues up to `queueSize` more in FIFO order.
 * Past that, callers get a `busy` error at once (mapped to 503 with Retry-After).
 */
export class Admission {
  #slots: number
  #queueSize: number
  #active = 0
  #paused = false
  #waiters: Waiter[] = []

  constructor(slots: number, queueSize: number) {
    this.#slots = slots
    this.#queueSize = queueSize
  }

  /** Requests inside the engine now. */
  get active(): number {
    return this.#active
  }
  /** Requests waiting for a slot. */
  get queued(): number {
    return this.#waiters.length
  }

  /** Waits for a slot; resolves with the function that gives it back (call it exactly once). */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new EngineError('aborted', 'The request was aborted'))
    if (!this.#paused && this.#active < this.#slots && this.#waiters.length === 0) return Promise.resolve(this.#grant())
    if (this.#waiters.length >= this.#queueSize) {
      return Promise.reject(
        new EngineError(
          'busy',
          `The server is busy: ${this.#active} requests running and ${this.#waiters.length} queued`,
        ),
      )
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter)
          reject(new EngineError('aborted', 'The request was aborted while queued'))
        },
      }
      signal?.addEventListener('abort', waiter.onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  /** Stops admitting (while the engine restarts); queued requests keep their place. */
  pause(): void {
    this.#paused = true
  }

  /** Admits again and lets queued requests in. */
  resume(): void {
    this.#paused = false
    this.#next()
  }

  /** Fails every queued request (shutdown). */
  rejectAll(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort)
      waiter.reject(error)
    }
  }

  #grant(): () => void {
    this.#active++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#active--
      this.#next()
    }
  }

  #next(): void {
    while (!this.#paused && this.#active < this.#slots && this.#waiters.length > 0) {
      const waiter = this.#waiters.shift() as Waiter
      waiter.signal?.removeEventListener('abort', waiter.onAbort)
      waiter.resolve(this.#grant())
    }
  }
}
