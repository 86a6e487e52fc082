/** The abort reason of close(): work that was running fails rather than being left as cancelled. */
export const SHUTDOWN = 'shutdown'

/** What a background job carries while this process owns it. */
export interface OwnedJob {
  controller: AbortController
  /** True once it holds a slot (it waits in the scheduler's background lane until then). */
  started: boolean
}

/**
 * The background jobs (runs, background responses) this process owns from enqueue to end: counted as waiting or
 * running, cancelled through their controllers, awaited until none is left, and all stopped at shutdown.
 */
export class OwnedJobs<J extends OwnedJob> {
  #jobs = new Map<string, J>()
  #idle: (() => void)[] = []
  #closed = false

  /** Jobs waiting for a slot and running now. */
  get stats(): { waiting: number; running: number } {
    let running = 0
    for (const job of this.#jobs.values()) if (job.started) running++
    return { waiting: this.#jobs.size - running, running }
  }

  get(id: string): J | undefined {
    return this.#jobs.get(id)
  }

  /** Owns `job` until `work` settles; false (and `work` never called) once closed. */
  run(id: string, job: J, work: () => Promise<void>): boolean {
    if (this.#closed) return false
    this.#jobs.set(id, job)
    work().finally(() => {
      if (this.#jobs.get(id) === job) this.#jobs.delete(id)
      if (this.#jobs.size === 0) for (const resolve of this.#idle.splice(0)) resolve()
    })
    return true
  }

  /** Resolves once no job is running or waiting. */
  idle(): Promise<void> {
    if (this.#jobs.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Takes no more jobs, aborts every owned one with SHUTDOWN and waits for them to end. */
  async close(): Promise<void> {
    this.#closed = true
    for (const job of this.#jobs.values()) job.controller.abort(SHUTDOWN)
    await this.idle()
  }
}
