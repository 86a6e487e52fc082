import type { Run } from '../schemas/runs.js'
import type { RunStep } from '../schemas/run-steps.js'
import { notFound, StoreError } from '../store/errors.js'
import { executeRun, type RunContext } from './executor.js'
import { cancelTarget, canTransition, LIVE_STATUSES, recoveryOf, RunStateError, transition } from './machine.js'
import { OwnedJobs, type OwnedJob } from './owned-jobs.js'
import { stepEndPatch } from './run-writer.js'

/** A tool output submitted for one call. */
export interface ToolOutput {
  tool_call_id?: string | undefined
  output?: string | undefined
}

// a cancel that meets a run changing status retries this often before it gives up with the store's conflict
const CANCEL_ATTEMPTS = 3

/**
 * Owns every run of this process after creation: hands each queued run to the engine's background lane at once
 * (the engine's scheduler decides when it starts), and makes every later change of its status through the machine:
 * cancel, tool outputs, expiry, and recovery of runs a crash or shutdown left behind.
 */
export class RunQueue {
  #ctx: RunContext
  #owned = new OwnedJobs<OwnedJob>()
  #timers = new Map<string, NodeJS.Timeout>()

  constructor(ctx: RunContext) {
    this.#ctx = ctx
  }

  /** Runs waiting for a slot and runs executing now. */
  get stats(): { waiting: number; running: number } {
    return this.#owned.stats
  }

  /**
   * Startup recovery, as the machine says for each status: queued runs run again in order, a run that was in
   * progress fails with last_error (its half-written message is kept, marked incomplete), cancelling becomes
   * cancelled, runs waiting for tool outputs keep waiting until they expire.
   */
  async recover(): Promise<{ requeued: number; failed: number }> {
    const counts = { requeued: 0, failed: 0 }
    for (const run of await this.#ctx.store.runs.listByStatus(LIVE_STATUSES)) {
      const action = recoveryOf(run.status)
      switch (action) {
        case 'run':
          counts.requeued++
          this.enqueue(run)
          break
        case 'wait':
          this.#armExpiry(run)
          break
        case 'fail':
          counts.failed++
          await transition(this.#ctx, run, 'failed', {
            last_error: {
              code: 'server_error',
              message: 'The server stopped while this run was in progress; create a new run to retry',
            },
          })
          break
        case 'cancel':
          await transition(this.#ctx, run, 'cancelled')
          break
        case null:
          break
        default: {
          const unknown: never = action
          throw new Error(`Unknown recovery ${String(unknown)}`)
        }
      }
    }
    return counts
  }

  /** Hands a queued run to the engine's background lane; it stays queued until it gets a slot. */
  enqueue(run: Run): void {
    const owned: OwnedJob = { controller: new AbortController(), started: false }
    this.#owned.run(run.id, owned, () =>
      executeRun(this.#ctx, run, { signal: owned.controller.signal, onStart: () => (owned.started = true) })
        .then((done) => {
          if (done?.required_action) this.#armExpiry(done)
        })
        .catch((error: Error) => this.#ctx.logger.error(`Run ${run.id} could not be executed: ${error.message}`)),
    )
  }

  /**
   * Cancels a run in any status that allows it: one that does not generate is cancelled at once, a generating one
   * goes to cancelling and ends cancelled within a decode step. The store's guarded write decides any race with the
   * executor (a run granted a slot but not yet started is still cancelled at once).
   */
  async cancel(threadId: string, runId: string): Promise<Run> {
    for (let attempt = 1; ; attempt++) {
      const run = await this.#get(threadId, runId)
      const to = cancelTarget(run.status)
      if (!to) throw new RunStateError(`Cannot cancel run with status '${run.status}'.`)
      try {
        const moved = await transition(this.#ctx, run, to)
        this.#clearExpiry(runId)
        this.#owned.get(runId)?.controller.abort()
        return moved
      } catch (error) {
        // the executor moved it meanwhile (queued -> in_progress, or it ended): look again
        if (attempt >= CANCEL_ATTEMPTS || !(error instanceof StoreError && error.code === 'conflict')) throw error
      }
    }
  }

  /** Records the outputs of every pending tool call on the step and queues the run to continue. */
  async submitToolOutputs(threadId: string, runId: string, outputs: ToolOutput[]): Promise<Run> {
    const { store, events } = this.#ctx
    const run = await this.#get(threadId, runId)
    if (!run.required_action || !canTransition(run.status, 'queued')) {
      throw new RunStateError(`Runs in status "${run.status}" do not accept tool outputs.`)
    }
    const wanted = run.required_action.submit_tool_outputs.tool_calls.map((c) => c.id)
    const given = new Map<string, string>()
    for (const [i, o] of outputs.entries()) {
      if (!o.tool_call_id || !wanted.includes(o.tool_call_id))
        throw new RunStateError(
          `Invalid 'tool_outputs[${i}].tool_call_id': no pending tool call has id '${o.tool_call_id ?? ''}'.`,
          `tool_outputs[${i}].tool_call_id`,
        )
      if (given.has(o.tool_call_id))
        throw new RunStateError(
          `Duplicate output for tool call '${o.tool_call_id}'.`,
          `tool_outputs[${i}].tool_call_id`,
        )
      given.set(o.tool_call_id, o.output ?? '')
    }
    const missing = wanted.filter((id) => !given.has(id))
    if (missing.length)
      throw new RunStateError(
        `Expected tool outputs for call_ids ${JSON.stringify(wanted)}, got ${JSON.stringify([...given.keys()])}; missing ${missing.join(', ')}.`,
        'tool_outputs',
      )
    this.#clearExpiry(runId)
    const queued = await store.transaction(async (tx) => {
      const pending = await this.#pendingToolStep(run, tx)
      const calls = pending?.step_details.type === 'tool_calls' ? pending.step_details.tool_calls : []
      const withOutputs = calls.map((c) =>
        c.type === 'function' ? { ...c, function: { ...c.function, output: given.get(c.id) ?? null } } : c,
      )
      if (pending) {
        const ref = { thread_id: threadId, run_id: runId }
        const step = await tx.steps.update(ref, pending.id, {
          ...stepEndPatch('completed', pending.usage ?? undefined),
          step_details: { type: 'tool_calls', tool_calls: withOutputs },
        })
        events.publish(runId, { event: 'thread.run.step.completed', data: step })
      }
      return transition({ store: tx, events }, run, 'queued')
    })
    this.enqueue(queued)
    return queued
  }

  /** Resolves once no run is running or waiting (tests and shutdown). */
  idle(): Promise<void> {
    return this.#owned.idle()
  }

  /** Stops taking runs; running ones fail with last_error, queued ones stay queued in the store for the next start. */
  async close(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    await this.#owned.close()
  }

  #armExpiry(run: Run): void {
    if (run.expires_at === null) return
    const delay = Math.max(0, run.expires_at * 1000 - Date.now())
    const timer = setTimeout(() => {
      this.#timers.delete(run.id)
      this.#expire(run).catch((error: Error) =>
        this.#ctx.logger.error(`Run ${run.id} could not expire: ${error.message}`),
      )
    }, delay)
    timer.unref()
    this.#timers.set(run.id, timer)
  }

  #clearExpiry(runId: string): void {
    clearTimeout(this.#timers.get(runId))
    this.#timers.delete(runId)
  }

  async #expire(run: Run): Promise<void> {
    await transition(this.#ctx, run, 'expired').catch((error: unknown) => {
      // tool outputs or a cancel came first
      if (!(error instanceof StoreError && error.code === 'conflict')) throw error
    })
  }

  async #pendingToolStep(run: Run, store = this.#ctx.store): Promise<RunStep | null> {
    const steps = await store.steps.list({ thread_id: run.thread_id, run_id: run.id }, { order: 'desc', limit: 20 })
    return steps.data.find((s) => s.type === 'tool_calls' && s.status === 'in_progress') ?? null
  }

  async #get(threadId: string, runId: string): Promise<Run> {
    const run = await this.#ctx.store.runs.get(threadId, runId)
    if (!run) throw notFound('run', runId)
    return run
  }
}
