import type { Run } from '../schemas/runs.js'
import type { RunStep } from '../schemas/run-steps.js'
import { notFound, StoreError } from '../store/errors.js'
import { executeRun, SHUTDOWN, type RunContext } from './executor.js'
import { sourcesOf, TERMINAL_STATUSES } from './machine.js'
import { nowSeconds, stepEndPatch } from './run-writer.js'

/** A tool output submitted for one call. */
export interface ToolOutput {
  tool_call_id?: string | undefined
  output?: string | undefined
}

/** An action the run's status forbids (mapped to 400 by the API). */
export class RunStateError extends Error {
  readonly param: string | null
  constructor(message: string, param: string | null = null) {
    super(message)
    this.name = 'RunStateError'
    this.param = param
  }
}

/**
 * Runs queued runs in order, at most `concurrency` at once (the engine's slots), and owns every change of a run's
 * status after creation: cancel, tool outputs, expiry, and recovery of runs a crash or shutdown left behind.
 */
export class RunQueue {
  #ctx: RunContext
  #concurrency: number
  #waiting: Run[] = []
  #running = new Map<string, AbortController>()
  #timers = new Map<string, NodeJS.Timeout>()
  #idle: (() => void)[] = []
  #closed = false

  constructor(ctx: RunContext, concurrency: number) {
    this.#ctx = ctx
    this.#concurrency = concurrency
  }

  /** Runs waiting and running now. */
  get stats(): { waiting: number; running: number } {
    return { waiting: this.#waiting.length, running: this.#running.size }
  }

  /**
   * Startup recovery: queued runs never started, so they run again in order; a run that was in progress fails with
   * last_error (its half-written message is kept, marked incomplete); cancelling becomes cancelled; runs waiting
   * for tool outputs keep waiting until they expire.
   */
  async recover(): Promise<{ requeued: number; failed: number }> {
    const { store } = this.#ctx
    const stuck = await store.runs.listByStatus(['queued', 'in_progress', 'cancelling', 'requires_action'])
    let failed = 0
    for (const run of stuck) {
      if (run.status === 'queued') this.enqueue(run)
      else if (run.status === 'requires_action') this.#armExpiry(run)
      else {
        failed += run.status === 'in_progress' ? 1 : 0
        await this.#abandon(run)
      }
    }
    return { requeued: stuck.filter((r) => r.status === 'queued').length, failed }
  }

  /** Adds a queued run to the end of the queue. */
  enqueue(run: Run): void {
    if (this.#closed) return
    this.#waiting.push(run)
    this.#pump()
  }

  /** Cancels a run in any non-terminal state; a queued run is cancelled at once, a running one within a decode step. */
  async cancel(threadId: string, runId: string): Promise<Run> {
    const { store, events } = this.#ctx
    const run = await this.#get(threadId, runId)
    if (TERMINAL_STATUSES.includes(run.status) || run.status === 'cancelling') {
      throw new RunStateError(`Cannot cancel run with status '${run.status}'.`)
    }
    const waitingAt = this.#waiting.findIndex((r) => r.id === runId)
    if (waitingAt >= 0 || run.status === 'requires_action') {
      if (waitingAt >= 0) this.#waiting.splice(waitingAt, 1)
      this.#clearExpiry(runId)
      const cancelled = await store.runs.update(
        threadId,
        runId,
        { status: 'cancelled', cancelled_at: nowSeconds(), required_action: null },
        { ifStatus: ['queued', 'requires_action'] },
      )
      await this.#endOpenSteps(cancelled, 'cancelled')
      events.publish(runId, { event: 'thread.run.cancelled', data: cancelled })
      events.end(runId)
      return cancelled
    }
    const cancelling = await store.runs.update(threadId, runId, { status: 'cancelling' }, { ifStatus: ['in_progress'] })
    events.publish(runId, { event: 'thread.run.cancelling', data: cancelling })
    this.#running.get(runId)?.abort()
    return cancelling
  }

  /** Records the outputs of every pending tool call on the step and queues the run to continue. */
  async submitToolOutputs(threadId: string, runId: string, outputs: ToolOutput[]): Promise<Run> {
    const { store, events } = this.#ctx
    const run = await this.#get(threadId, runId)
    if (run.status !== 'requires_action' || !run.required_action) {
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
    const { step, queued } = await store.transaction(async (tx) => {
      const pending = await this.#pendingToolStep(run, tx)
      const calls = pending?.step_details.type === 'tool_calls' ? pending.step_details.tool_calls : []
      const withOutputs = calls.map((c) =>
        c.type === 'function' ? { ...c, function: { ...c.function, output: given.get(c.id) ?? null } } : c,
      )
      const stepDone = pending
        ? await tx.steps.update({ thread_id: threadId, run_id: runId }, pending.id, {
            status: 'completed',
            completed_at: nowSeconds(),
            step_details: { type: 'tool_calls', tool_calls: withOutputs },
          })
        : null
      const next = await tx.runs.update(
        threadId,
        runId,
        { status: 'queued', required_action: null, expires_at: null },
        { ifStatus: ['requires_action'] },
      )
      return { step: stepDone, queued: next }
    })
    if (step) events.publish(runId, { event: 'thread.run.step.completed', data: step })
    events.publish(runId, { event: 'thread.run.queued', data: queued })
    this.enqueue(queued)
    return queued
  }

  /** Resolves once no run is running or waiting (tests and shutdown). */
  idle(): Promise<void> {
    if (this.#running.size === 0 && this.#waiting.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Stops taking runs; running ones fail with last_error, queued ones stay queued in the store for the next start. */
  async close(): Promise<void> {
    this.#closed = true
    this.#waiting = []
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    for (const controller of this.#running.values()) controller.abort(SHUTDOWN)
    await this.idle()
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#concurrency && this.#waiting.length > 0) {
      const run = this.#waiting.shift() as Run
      const controller = new AbortController()
      this.#running.set(run.id, controller)
      executeRun(this.#ctx, run, controller.signal)
        .then((done) => {
          if (done.status === 'requires_action') this.#armExpiry(done)
        })
        .catch((error: Error) => this.#ctx.logger.error(`Run ${run.id} could not be executed: ${error.message}`))
        .finally(() => {
          this.#running.delete(run.id)
          this.#pump()
          if (this.#running.size === 0 && this.#waiting.length === 0)
            for (const resolve of this.#idle.splice(0)) resolve()
        })
    }
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
    const expired = await this.#ctx.store.runs
      .update(run.thread_id, run.id, { status: 'expired', required_action: null }, { ifStatus: sourcesOf('expired') })
      .catch((error: unknown) => {
        if (error instanceof StoreError && error.code === 'conflict') return null
        throw error
      })
    if (!expired) return
    await this.#endOpenSteps(expired, 'expired')
    this.#ctx.events.publish(run.id, { event: 'thread.run.expired', data: expired })
    this.#ctx.events.end(run.id)
  }

  // a run a crash left in_progress fails; one left cancelling is cancelled
  async #abandon(run: Run): Promise<void> {
    const { store } = this.#ctx
    const patch =
      run.status === 'cancelling'
        ? { status: 'cancelled' as const, cancelled_at: nowSeconds() }
        : {
            status: 'failed' as const,
            failed_at: nowSeconds(),
            last_error: {
              code: 'server_error' as const,
              message: 'The server stopped while this run was in progress; create a new run to retry',
            },
          }
    const saved = await store.runs.update(run.thread_id, run.id, patch, { ifStatus: [run.status] })
    await this.#endOpenSteps(saved, saved.status === 'cancelled' ? 'cancelled' : 'failed')
    const open = await store.messages.list(run.thread_id, { run_id: run.id, limit: 100 })
    for (const message of open.data) {
      if (message.status === 'in_progress')
        await store.messages.setStatus(run.thread_id, message.id, 'incomplete', {
          reason: saved.status === 'cancelled' ? 'run_cancelled' : 'run_failed',
        })
    }
  }

  async #endOpenSteps(run: Run, status: 'cancelled' | 'expired' | 'failed'): Promise<void> {
    const ref = { thread_id: run.thread_id, run_id: run.id }
    const steps = await this.#ctx.store.steps.list(ref, { limit: 100 })
    for (const step of steps.data) {
      if (step.status !== 'in_progress') continue
      const saved = await this.#ctx.store.steps.update(ref, step.id, stepEndPatch(status))
      this.#ctx.events.publish(run.id, { event: `thread.run.step.${status}`, data: saved })
    }
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
