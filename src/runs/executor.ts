import { chatCompletion } from '../engine/generation/chat.js'
import type { Engine } from '../engine/engine.js'
import { EngineError } from '../engine/errors.js'
import type { FinishReason, Usage } from '../engine/types.js'
import type { Run, RunLastError } from '../schemas/runs.js'
import type { Store } from '../store/store.js'
import type { RunEvents } from './events.js'
import { sourcesOf } from './machine.js'
import { buildRunPrompt } from './prompt.js'
import { nowSeconds, RunWriter } from './run-writer.js'

/** The abort reason the queue uses when the server shuts down (the run fails rather than being cancelled). */
export const SHUTDOWN = 'shutdown'

/** What a run needs to execute. */
export interface RunContext {
  store: Store
  engine: Engine
  events: RunEvents
  logger: { error(msg: string, fields?: object): void; debug(msg: string, fields?: object): void }
  /** How long a run may wait for tool outputs, in seconds. */
  toolOutputTimeoutS: number
}

/**
 * Executes one turn of a queued run: in_progress, one model call streamed into a message or a tool_calls step, then
 * completed, incomplete, requires_action, cancelled (the signal aborted after the run went to cancelling) or failed.
 */
export async function executeRun(ctx: RunContext, queued: Run, signal: AbortSignal): Promise<Run> {
  const { store } = ctx
  let run = await store.runs.update(
    queued.thread_id,
    queued.id,
    { status: 'in_progress', started_at: queued.started_at ?? nowSeconds() },
    { ifStatus: sourcesOf('in_progress') },
  )
  const writer = new RunWriter(store, ctx.events, run)
  writer.emit({ event: 'thread.run.in_progress', data: run })
  let usage: Usage | undefined
  try {
    const prompt = await buildRunPrompt(store, ctx.engine, run)
    if (prompt.kind === 'incomplete')
      return await finish(ctx, writer, run, { status: 'incomplete', incomplete_details: { reason: prompt.reason } })
    let finishReason: FinishReason = 'stop'
    for await (const event of chatCompletion(ctx.engine, prompt.request, { signal })) {
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
      return await finish(ctx, writer, run, {
        status: 'requires_action',
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
      return await finish(ctx, writer, run, {
        status: 'incomplete',
        incomplete_details: { reason: 'max_completion_tokens' },
      })
    return await finish(ctx, writer, run, { status: 'completed', completed_at: nowSeconds() })
  } catch (error) {
    run = { ...run, usage: addUsage(run.usage, usage) }
    if (signal.aborted && signal.reason === SHUTDOWN) {
      await writer.finishMessage('incomplete', 'run_failed').catch(() => {})
      await writer.finishToolStep('failed').catch(() => {})
      return await finish(ctx, writer, run, {
        status: 'failed',
        failed_at: nowSeconds(),
        last_error: { code: 'server_error', message: 'The server shut down while the run was in progress' },
      })
    }
    if (signal.aborted) {
      await writer.finishMessage('incomplete', 'run_cancelled')
      await writer.finishToolStep('cancelled')
      return await finish(ctx, writer, run, { status: 'cancelled', cancelled_at: nowSeconds() })
    }
    ctx.logger.error(`Run ${run.id} failed: ${(error as Error).message}`)
    await writer.finishMessage('incomplete', 'run_failed').catch(() => {})
    await writer.finishToolStep('failed').catch(() => {})
    return await finish(ctx, writer, run, { status: 'failed', failed_at: nowSeconds(), last_error: lastError(error) })
  }
}

async function finish(
  ctx: RunContext,
  writer: RunWriter,
  run: Run,
  patch: Partial<Run> & { status: Run['status'] },
): Promise<Run> {
  const saved = await ctx.store.runs.update(
    run.thread_id,
    run.id,
    { ...patch, usage: run.usage },
    { ifStatus: sourcesOf(patch.status) },
  )
  writer.emit({ event: `thread.run.${patch.status}` as 'thread.run.completed', data: saved })
  ctx.events.end(run.id)
  return saved
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
  if (error instanceof EngineError && error.code === 'busy')
    return { code: 'rate_limit_exceeded', message: error.message }
  if (error instanceof EngineError && (error.code === 'invalid_request' || error.code === 'context_length_exceeded'))
    return { code: 'invalid_prompt', message: error.message }
  return { code: 'server_error', message: error instanceof Error ? error.message : 'The run failed' }
}
