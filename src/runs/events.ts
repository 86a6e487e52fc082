import type { AssistantStreamEvent } from '../schemas/stream-events.js'

interface Subscriber {
  push(event: AssistantStreamEvent | null): void
}

/**
 * Fans a run's events out to the streams watching it. A stream subscribes before it starts the run (or resumes it)
 * so it misses nothing; it ends when the run ends or waits for tool outputs. Unsubscribing (a client that left)
 * never affects the run.
 */
export class RunEvents {
  #subscribers = new Map<string, Set<Subscriber>>()

  /** Sends an event to every stream of the run. */
  publish(runId: string, event: AssistantStreamEvent): void {
    for (const subscriber of this.#subscribers.get(runId) ?? []) subscriber.push(event)
  }

  /** Ends every stream of the run (after its terminal or requires_action event). */
  end(runId: string): void {
    for (const subscriber of this.#subscribers.get(runId) ?? []) subscriber.push(null)
    this.#subscribers.delete(runId)
  }

  /** Streams of this run now. */
  count(runId: string): number {
    return this.#subscribers.get(runId)?.size ?? 0
  }

  /** Starts watching a run; iterate the result to read its events until the run ends or waits. */
  subscribe(runId: string): AsyncIterableIterator<AssistantStreamEvent> {
    const queue: (AssistantStreamEvent | null)[] = []
    let wake: (() => void) | null = null
    let done = false
    const subscriber: Subscriber = {
      push: (event) => {
        queue.push(event)
        wake?.()
      },
    }
    const set = this.#subscribers.get(runId) ?? new Set()
    set.add(subscriber)
    this.#subscribers.set(runId, set)
    const leave = () => {
      done = true
      set.delete(subscriber)
      if (set.size === 0 && this.#subscribers.get(runId) === set) this.#subscribers.delete(runId)
    }
    const iterator: AsyncIterableIterator<AssistantStreamEvent> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        while (!done && queue.length === 0)
          await new Promise<void>((resolve) => {
            wake = resolve
          })
        wake = null
        const event = queue.shift()
        if (done || event === undefined || event === null) {
          leave()
          return { done: true, value: undefined }
        }
        return { done: false, value: event }
      },
      return: async () => {
        leave()
        wake?.()
        return { done: true, value: undefined }
      },
    }
    return iterator
  }
}
