import { ToolCallAccumulator, type ToolCallPiece } from '../engine/generation/tool-call-accumulator.js'
import type { Usage } from '../engine/types.js'
import type { Message } from '../schemas/messages.js'
import type { FunctionToolCall, RunStep } from '../schemas/run-steps.js'
import type { Run } from '../schemas/runs.js'
import type { AssistantStreamEvent } from '../schemas/stream-events.js'
import type { RunStepPatch, Store } from '../store/store.js'
import type { RunEvents } from './events.js'

// Text is streamed to clients at once but written to the store in batches: a write per token would cost more
// than the token
const FLUSH_MS = 250

/** Unix time in seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** A step status a run step ends in. */
export type StepEnd = 'completed' | 'cancelled' | 'expired' | 'failed'

/** The store patch that ends a run step: its status, the matching timestamp, and usage or last_error. */
export function stepEndPatch(status: StepEnd, usage?: Usage): RunStepPatch {
  const at = nowSeconds()
  switch (status) {
    case 'completed':
      return { status, completed_at: at, usage: usage ?? null }
    case 'cancelled':
      return { status, cancelled_at: at }
    case 'expired':
      return { status, expired_at: at }
    case 'failed':
      return { status, failed_at: at, last_error: { code: 'server_error', message: 'The run failed' } }
  }
}

/**
 * Writes one model call's output into a run: a message_creation step and its message for text, a tool_calls step for
 * tool calls, each created when its first output arrives, each change stored and published as the stream events the
 * openai SDK's AssistantStream expects (one active step and one active message at a time).
 */
export class RunWriter {
  #store: Store
  #events: RunEvents
  #run: Run
  #message: Message | null = null
  #messageStep: RunStep | null = null
  #toolStep: RunStep | null = null
  #calls = new ToolCallAccumulator()
  #pending = ''
  #lastFlush = 0

  constructor(store: Store, events: RunEvents, run: Run) {
    this.#store = store
    this.#events = events
    this.#run = run
  }

  /** The tool calls the model made in this call, complete. */
  get toolCalls(): FunctionToolCall[] {
    return this.#calls.calls.map((c) => ({ ...c, function: { ...c.function, output: null } }))
  }

  /** Publishes an event of this run. */
  emit(event: AssistantStreamEvent): void {
    this.#events.publish(this.#run.id, event)
  }

  /** Streams a text fragment into the run's answer message. */
  async text(fragment: string): Promise<void> {
    const message = this.#message ?? (await this.#openMessage())
    this.emit({
      event: 'thread.message.delta',
      data: {
        id: message.id,
        object: 'thread.message.delta',
        delta: { content: [{ index: 0, type: 'text', text: { value: fragment } }] },
      },
    })
    this.#pending += fragment
    if (Date.now() - this.#lastFlush > FLUSH_MS) await this.#flush()
  }

  /** Streams a tool-call piece into the run's tool_calls step. */
  async toolCall(piece: ToolCallPiece): Promise<void> {
    if (this.#message) await this.finishMessage('completed', null)
    const step = this.#toolStep ?? (await this.#openToolStep())
    this.#calls.add(piece)
    const delta = {
      index: piece.index,
      type: 'function' as const,
      ...(piece.id ? { id: piece.id } : {}),
      function: { ...(piece.name ? { name: piece.name } : {}), arguments: piece.arguments },
    }
    this.emit({
      event: 'thread.run.step.delta',
      data: {
        id: step.id,
        object: 'thread.run.step.delta',
        delta: { step_details: { type: 'tool_calls', tool_calls: [delta] } },
      },
    })
  }

  /** Makes sure the run has an answer message, even an empty one. */
  async ensureMessage(): Promise<void> {
    if (!this.#message && !this.#toolStep) await this.#openMessage()
  }

  /** Ends the answer message and its step (completed, or incomplete for cancel, failure and token limits). */
  async finishMessage(
    status: 'completed' | 'incomplete',
    reason: 'run_cancelled' | 'run_failed' | 'max_tokens' | null,
    usage?: Usage,
  ): Promise<void> {
    const message = this.#message
    const step = this.#messageStep
    if (!message || !step) return
    this.#message = null
    this.#messageStep = null
    await this.#flush(message)
    const done = await this.#store.messages.setStatus(
      this.#run.thread_id,
      message.id,
      status,
      reason ? { reason } : undefined,
    )
    this.emit({ event: status === 'completed' ? 'thread.message.completed' : 'thread.message.incomplete', data: done })
    await this.#endStep(
      step,
      reason === 'run_cancelled' ? 'cancelled' : reason === 'run_failed' ? 'failed' : 'completed',
      usage,
    )
  }

  /** Ends the tool_calls step: it stays in_progress while the run waits for outputs, else it is cancelled or failed. */
  async finishToolStep(outcome: 'waiting' | 'cancelled' | 'failed', usage?: Usage): Promise<void> {
    const step = this.#toolStep
    if (!step) return
    const ref = { thread_id: this.#run.thread_id, run_id: this.#run.id }
    const saved = await this.#store.steps.update(ref, step.id, {
      step_details: { type: 'tool_calls', tool_calls: this.toolCalls },
      usage: usage ?? null,
    })
    if (outcome !== 'waiting') await this.#endStep(saved, outcome, usage)
  }

  async #openMessage(): Promise<Message> {
    const message = await this.#store.messages.create(this.#run.thread_id, {
      role: 'assistant',
      content: [],
      assistant_id: this.#run.assistant_id,
      run_id: this.#run.id,
      status: 'in_progress',
    })
    const step = await this.#store.steps.create(
      { thread_id: this.#run.thread_id, run_id: this.#run.id },
      {
        type: 'message_creation',
        step_details: { type: 'message_creation', message_creation: { message_id: message.id } },
        status: 'in_progress',
      },
    )
    this.#message = message
    this.#messageStep = step
    this.#lastFlush = Date.now()
    this.emit({ event: 'thread.run.step.created', data: step })
    this.emit({ event: 'thread.run.step.in_progress', data: step })
    this.emit({ event: 'thread.message.created', data: message })
    this.emit({ event: 'thread.message.in_progress', data: message })
    return message
  }

  async #openToolStep(): Promise<RunStep> {
    const step = await this.#store.steps.create(
      { thread_id: this.#run.thread_id, run_id: this.#run.id },
      { type: 'tool_calls', step_details: { type: 'tool_calls', tool_calls: [] }, status: 'in_progress' },
    )
    this.#toolStep = step
    this.emit({ event: 'thread.run.step.created', data: step })
    this.emit({ event: 'thread.run.step.in_progress', data: step })
    return step
  }

  async #endStep(step: RunStep, status: 'completed' | 'cancelled' | 'failed', usage?: Usage): Promise<void> {
    const saved = await this.#store.steps.update(
      { thread_id: this.#run.thread_id, run_id: this.#run.id },
      step.id,
      stepEndPatch(status, usage),
    )
    this.emit({ event: `thread.run.step.${status}`, data: saved })
  }

  async #flush(message = this.#message): Promise<void> {
    if (!message || !this.#pending) return
    const text = this.#pending
    this.#pending = ''
    this.#lastFlush = Date.now()
    await this.#store.messages.appendText(this.#run.thread_id, message.id, text)
  }
}
