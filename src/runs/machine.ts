import type { MessageIncompleteDetails } from '../schemas/messages.js'
import type { Run, RunStatus } from '../schemas/runs.js'
import type { AssistantStreamEvent } from '../schemas/stream-events.js'
import type { RunPatch, Store } from '../store/store.js'
import type { RunEvents } from './events.js'
import { nowSeconds, stepEndPatch, type StepEnd } from './run-writer.js'

/** What happens to a run in a status when the server starts again after a crash or a shutdown. */
export type Recovery = 'run' | 'wait' | 'fail' | 'cancel'

interface StatusRule {
  /** The statuses a run may move to from this one; none: the status is terminal. */
  next: readonly RunStatus[]
  /** A stream of the run ends on entering this status (terminal, or waiting for tool outputs). */
  endsStream: boolean
  /** The timestamp set on entering this status (started_at only the first time). */
  stamp?: 'started_at' | 'cancelled_at' | 'failed_at' | 'completed_at'
  /** Open steps of a run entering this terminal status end so. */
  stepEnd?: StepEnd
  /** In-progress messages of a run entering this terminal status end incomplete for this reason. */
  messageEnd?: MessageIncompleteDetails['reason']
  /** A cancel request: cancelled at once, or cancelling while generation stops (then cancelled). */
  cancel?: 'cancelled' | 'cancelling'
  /** Startup after a crash or shutdown: queue it again, keep waiting for tool outputs, fail it or cancel it. */
  recover?: Recovery
}

// Every status change of a run goes through transition(), checked against this table
const RULES: Record<RunStatus, StatusRule> = {
  queued: {
    next: ['in_progress', 'cancelled', 'failed', 'expired'],
    endsStream: false,
    cancel: 'cancelled',
    recover: 'run',
  },
  in_progress: {
    next: ['requires_action', 'cancelling', 'completed', 'incomplete', 'failed', 'expired'],
    endsStream: false,
    stamp: 'started_at',
    cancel: 'cancelling',
    recover: 'fail',
  },
  requires_action: {
    next: ['queued', 'cancelling', 'cancelled', 'expired', 'failed'],
    endsStream: true,
    cancel: 'cancelled',
    recover: 'wait',
  },
  cancelling: { next: ['cancelled', 'failed'], endsStream: false, recover: 'cancel' },
  cancelled: { next: [], endsStream: true, stamp: 'cancelled_at', stepEnd: 'cancelled', messageEnd: 'run_cancelled' },
  failed: { next: [], endsStream: true, stamp: 'failed_at', stepEnd: 'failed', messageEnd: 'run_failed' },
  completed: { next: [], endsStream: true, stamp: 'completed_at', stepEnd: 'completed' },
  incomplete: { next: [], endsStream: true, stepEnd: 'completed' },
  expired: { next: [], endsStream: true, stepEnd: 'expired', messageEnd: 'run_expired' },
}

const ALL = Object.keys(RULES) as RunStatus[]

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ALL.filter((s) => RULES[s].next.length === 0)

/** Statuses a run is still going in: queued, generating, waiting for tool outputs or being cancelled. */
export const LIVE_STATUSES: readonly RunStatus[] = ALL.filter((s) => RULES[s].next.length > 0)

/** Whether a run may go from one status to another. */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RULES[from].next.includes(to)
}

/** The statuses from which a run may enter `to` (the guard of the conditional store update). */
export function sourcesOf(to: RunStatus): RunStatus[] {
  return ALL.filter((from) => RULES[from].next.includes(to))
}

/** Whether a run in this status is done for good. */
export function isTerminal(status: RunStatus): boolean {
  return RULES[status].next.length === 0
}

/** Where a cancel request takes a run in this status, or null when it cannot be cancelled. */
export function cancelTarget(status: RunStatus): 'cancelled' | 'cancelling' | null {
  return RULES[status].cancel ?? null
}

/** What startup does with a run left in this status (null: terminal, nothing to do). */
export function recoveryOf(status: RunStatus): Recovery | null {
  return RULES[status].recover ?? null
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

/** What a transition writes to and publishes on. */
export interface TransitionContext {
  store: Store
  events: Pick<RunEvents, 'publish' | 'end'>
}

/**
 * Moves a run to `to`: checks the move against the table, writes it with the status's timestamp (guarded: the run
 * must still be in a status that may enter `to`, else the store throws `conflict`), ends the run's open steps and
 * messages when `to` is terminal, publishes those events and `thread.run.<to>`, and ends the run's streams when `to`
 * ends them. `run` is the caller's copy; `patch` adds fields of the new status (last_error, usage, ...).
 */
export async function transition(ctx: TransitionContext, run: Run, to: RunStatus, patch: RunPatch = {}): Promise<Run> {
  if (!canTransition(run.status, to)) throw new RunStateError(`Cannot move run from '${run.status}' to '${to}'`)
  const events: AssistantStreamEvent[] = []
  const saved = await ctx.store.transaction(async (tx) => {
    const next = { ...impliedFields(run, to), ...patch, status: to }
    const updated = await tx.runs.update(run.thread_id, run.id, next, { ifStatus: sourcesOf(to) })
    if (isTerminal(to)) events.push(...(await endOpenParts(tx, updated)))
    return updated
  })
  for (const event of events) ctx.events.publish(run.id, event)
  ctx.events.publish(run.id, { event: `thread.run.${to}`, data: saved } as AssistantStreamEvent)
  if (RULES[to].endsStream) ctx.events.end(run.id)
  return saved
}

// the fields a move implies: the new status's timestamp; leaving requires_action drops the pending action and its
// deadline (kept when the run expires by it)
function impliedFields(run: Run, to: RunStatus): RunPatch {
  const { stamp } = RULES[to]
  const fields: RunPatch = {}
  if (stamp) fields[stamp] = stamp === 'started_at' && run.started_at !== null ? run.started_at : nowSeconds()
  if (run.status === 'requires_action') {
    fields.required_action = null
    if (to !== 'expired') fields.expires_at = null
  }
  return fields
}

async function endOpenParts(store: Store, run: Run): Promise<AssistantStreamEvent[]> {
  const { stepEnd, messageEnd } = RULES[run.status]
  const events: AssistantStreamEvent[] = []
  if (messageEnd) {
    const messages = await store.messages.list(run.thread_id, { run_id: run.id, limit: 100 })
    for (const message of messages.data) {
      if (message.status !== 'in_progress') continue
      const ended = await store.messages.setStatus(run.thread_id, message.id, 'incomplete', { reason: messageEnd })
      events.push({ event: 'thread.message.incomplete', data: ended })
    }
  }
  if (stepEnd) {
    const ref = { thread_id: run.thread_id, run_id: run.id }
    const steps = await store.steps.list(ref, { limit: 100 })
    for (const step of steps.data) {
      if (step.status !== 'in_progress') continue
      const ended = await store.steps.update(ref, step.id, stepEndPatch(stepEnd, step.usage ?? undefined))
      events.push({ event: `thread.run.step.${stepEnd}`, data: ended } as AssistantStreamEvent)
    }
  }
  return events
}
