import { BadRequestError, type ApiError } from './errors.js'

/** Bytes a body stream holds before `push()` asks the transport to pause reading. */
const HIGH_WATER_BYTES = 1 << 20

type Waiter = { resolve: (result: IteratorResult<Uint8Array>) => void; reject: (error: unknown) => void }

/**
 * A request body handed to a handler as it arrives (multipart uploads), so it is never held whole in memory.
 * The transport pushes chunks and pauses reading when `push()` returns false; it resumes on `onDrain`.
 * Read it once with `for await`; leaving the loop early discards the rest.
 */
export class BodyStream implements AsyncIterable<Uint8Array> {
  /** Called when the buffer has room again after `push()` returned false, or when the reader stopped. */
  onDrain: (() => void) | null = null
  #chunks: Uint8Array[] = []
  #buffered = 0
  #ended = false
  #error: unknown = null
  #waiter: Waiter | null = null
  #discarding = false
  #paused = false
  #received = 0

  /** True once the transport has delivered the last byte. */
  get complete(): boolean {
    return this.#ended && this.#error === null
  }

  /** Bytes delivered by the transport so far. */
  get received(): number {
    return this.#received
  }

  /** Adds a chunk (the stream keeps it: pass a copy); false means: pause reading until `onDrain`. */
  push(chunk: Uint8Array): boolean {
    if (this.#ended) return true
    this.#received += chunk.byteLength
    if (this.#discarding) return true
    if (this.#waiter) {
      const waiter = this.#waiter
      this.#waiter = null
      waiter.resolve({ value: chunk, done: false })
      return true
    }
    this.#chunks.push(chunk)
    this.#buffered += chunk.byteLength
    if (this.#buffered < HIGH_WATER_BYTES) return true
    this.#paused = true
    return false
  }

  /** The body is complete. */
  end(): void {
    if (this.#ended) return
    this.#ended = true
    this.#settle()
  }

  /** The body cannot complete (the client went away); a pending or next read rejects with `error`. */
  fail(error: unknown): void {
    if (this.#ended) return
    this.#ended = true
    this.#error = error
    this.#chunks = []
    this.#settle()
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => this.#next(),
      return: () => {
        this.#discard()
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }

  #next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#chunks.shift()
    if (chunk) {
      this.#buffered -= chunk.byteLength
      if (this.#paused && this.#buffered <= HIGH_WATER_BYTES / 2) this.#resume()
      return Promise.resolve({ value: chunk, done: false })
    }
    if (this.#error !== null) return Promise.reject(this.#error)
    if (this.#ended || this.#discarding) return Promise.resolve({ value: undefined, done: true })
    if (this.#paused) this.#resume()
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
  }

  #settle(): void {
    const waiter = this.#waiter
    if (!waiter) return
    this.#waiter = null
    if (this.#error !== null) waiter.reject(this.#error)
    else waiter.resolve({ value: undefined, done: true })
  }

  #discard(): void {
    this.#discarding = true
    this.#chunks = []
    this.#buffered = 0
    if (this.#paused) this.#resume()
  }

  #resume(): void {
    this.#paused = false
    this.onDrain?.()
  }
}

/** What a body stream fails with when the client goes away mid-body (a 400 nobody reads, not a logged 500). */
export function clientGone(): ApiError {
  return new BadRequestError('Cannot read the request body: the client went away', {
    code: 'request_aborted',
    shouldRetry: false,
  })
}
