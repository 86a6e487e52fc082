import { chatCompletion } from '../engine/generation/chat.js'
import type { Engine } from '../engine/engine.js'
import { EngineError } from '../engine/errors.js'
import type { Slot } from '../engine/scheduler.js'
import type { FinishReason, Usage } from '../engine/types.js'
import type { Run, RunLastError, RunStatus } from '../schemas/runs.js'
import { StoreError } from '../store/errors.js'
import type { RunPatch, Store } from '../store/store.js'
import type { RunEvents } from './events.js'
import { RunStateError, transition } from './machine.js'
import { SHUTDOWN } from './owned-jobs.js'
import { buildRunPrompt } from './prompt.js'
import { nowSeconds, RunWriter } from './run-writer.js'

/** What a run needs to execute. */
export interface RunContext {
  store: Store
  engine: Engine
  events: RunEvents
  logger: { error(msg: string, fields?: object): void; debug(msg: string, fields?: object): void }
  /** How long a run may wait for tool outputs, in seconds. */
  toolOutputTimeoutS: number
}

/** How executeRun() reports to its queue. */
export interface ExecuteOptions {
  /** Aborted by a cancel (the run is already cancelled or cancelling) or with SHUTDOWN. */
  signal: AbortSignal
  /** Called once the run has a slot and is in_progress. */
  onStart?: () => void
}

/**
 * Executes one turn of a queued run: waits in the engine's background lane (still `queued`), then in_progress, one
 * model call streamed into a message or a tool_calls step, then completed, incomplete, requires_action, cancelled
 * (the signal aborted after the run went to cancelling) or failed. Resolves null when the run never started: it was
 * cancelled while it waited, or the server stops (it stays queued for the next start).
 */
export async function executeRun(ctx: RunContext, queued: Run, options: ExecuteOptions): Promise<Run | null> {
  const { signal } = options
  let slot: Slot
  try {
    slot = await ctx.engine.reserve('background', signal)
  } catch (error) {
    if (signal.aborted || (error instanceof EngineError && error.code === 'closed')) return null
    return await transition(ctx, queued, 'failed', { last_error: lastError(error) })
  }
  try {
    return await executeInSlot(ctx, queued, slot, options)
  } finally {
    slot.release()
  }
}

async function executeInSlot(ctx: RunContext, queued: Run, slot: Slot, { signal, onStart }: ExecuteOptions) {
  // cancelled, or the server stopping, as the slot came: a run that never started stays as the cancel or the next
  // start leaves it
  if (signal.aborted) return null
  let run: Run
  try {
    run = await transition(ctx, queued, 'in_progress')
  } catch (error) {
    // cancelled between the grant and this write: the cancel won, nothing to run
    if (isStale(error)) return null
    throw error
  }
  onStart?.()
  const writer = new RunWriter(ctx.store, ctx.events, run)
  let usage: Usage | undefined
  try {
    const prompt = await buildRunPrompt(ctx.store, ctx.engine, run)
    if (prompt.kind === 'incomplete')
      return await finish(ctx, run, 'incomplete', { incomplete_details: { reason: prompt.reason } })
    let finishReason: FinishReason = 'stop'
    for await (const event of chatCompletion(ctx.engine, prompt.request, { signal, slot })) {
      if (event.type === 'text' && event.text) await writer.text(event.text)
      else if (event.type === 'tool_call') await writer.toolCall(event)
      else if (event.type === 'finish') finishReason = event.reason
      else if (event.type === 'usage') usage = event.usage
    }
    run = { ...run, usage: addUsage(run.usage, usage) }
    const calls = writer.toolCalls
    if (calls.length > 0 && finishReason === 'tool_calls') {
      await writer.finishMessage('completed', null, usage)
      await writer.finishToolStep('waiting', usage)
      return await finish(ctx, run, 'requires_action', {
        expires_at: nowSeconds() + ctx.toolOutputTimeoutS,
        required_action: {
          type: 'submit_tool_outputs',
          submit_tool_outputs: {
            tool_calls: calls.map((c) => ({
              id: c.id,
              type: 'function' as const,
              function: { name: c.function.name, arguments: c.function.arguments },
            })),
          },
        },
      })
    }
    await writer.ensureMessage()
    const hitLimit = finishReason === 'length' && run.max_completion_tokens !== null
    await writer.finishMessage(hitLimit ? 'incomplete' : 'completed', hitLimit ? 'max_tokens' : null, usage)
    await writer.finishToolStep('failed', usage)
    if (hitLimit)
      return await finish(ctx, run, 'incomplete', { incomplete_details: { reason: 'max_completion_tokens' } })
    return await finish(ctx, run, 'completed')
  } catch (error) {
    run = { ...run, usage: addUsage(run.usage, usage) }
    if (signal.aborted && signal.reason === SHUTDOWN) {
      await writer.finishMessage('incomplete', 'run_failed').catch(() => {})
      await writer.finishToolStep('failed').catch(() => {})
      return await finish(ctx, run, 'failed', {
        last_error: { code: 'server_error', message: 'The server shut down while the run was in progress' },
      })
    }
    if (signal.aborted) {
      await writer.finishMessage('incomplete', 'run_cancelled')
      await writer.finishToolStep('cancelled')
      return await finish(ctx, run, 'cancelled')
    }
    ctx.logger.error(`Run ${run.id} failed: ${(error as Error).message}`)
    await writer.finishMessage('incomplete', 'run_failed').catch(() => {})
    await writer.finishToolStep('failed').catch(() => {})
    return await finish(ctx, run, 'failed', { last_error: lastError(error) })
  }
}

// Ends the turn through the machine. A cancel that lands while the turn ends (the run went to cancelling) wins:
// the run ends cancelled whatever the model did
async function finish(ctx: RunContext, run: Run, to: RunStatus, patch: RunPatch = {}): Promise<Run> {
  try {
    return await transition(ctx, run, to, { ...patch, usage: run.usage })
  } catch (error) {
    if (!isStale(error)) throw error
    const now = await ctx.store.runs.get(run.thread_id, run.id)
    if (now?.status !== 'cancelling') throw error
    return await transition(ctx, now, 'cancelled', { usage: run.usage })
  }
}

// the run is no longer where this copy says: another transition (a cancel) got there first
function isStale(error: unknown): boolean {
  return error instanceof RunStateError || (error instanceof StoreError && error.code === 'conflict')
}

function addUsage(total: Run['usage'], call: Usage | undefined): Run['usage'] {
  if (!call) return total
  const base = total ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
  return {
    prompt_tokens: base.prompt_tokens + call.prompt_tokens,
    completion_tokens: base.completion_tokens + call.completion_tokens,
    total_tokens: base.total_tokens + call.total_tokens,
  }
}

function lastError(error: unknown): RunLastError {
  if (error instanceof EngineError && (error.code === 'invalid_request' || error.code === 'context_length_exceeded'))
    return { code: 'invalid_prompt', message: error.message }
  return { code: 'server_error', message: error instanceof Error ? error.message : 'The run failed' }
}
