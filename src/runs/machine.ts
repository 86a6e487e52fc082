import type { RunStatus } from '../schemas/runs.js'

// Every status change of a run goes through this table; a run never takes a status outside RunStatus.
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['in_progress', 'cancelled', 'failed', 'expired'],
  in_progress: ['requires_action', 'cancelling', 'completed', 'incomplete', 'failed', 'expired'],
  requires_action: ['queued', 'cancelling', 'cancelled', 'expired', 'failed'],
  cancelling: ['cancelled', 'failed'],
  cancelled: [],
  failed: [],
  completed: [],
  incomplete: [],
  expired: [],
}

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['cancelled', 'failed', 'completed', 'incomplete', 'expired']

/** Statuses in which a stream of the run ends (terminal, or waiting for tool outputs). */
export const STREAM_END_STATUSES: readonly RunStatus[] = [...TERMINAL_STATUSES, 'requires_action']

/** Whether a run may go from one status to another. */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to)
}

/** The statuses from which a run may enter `to` (the guard for a conditional store update). */
export function sourcesOf(to: RunStatus): RunStatus[] {
  return (Object.keys(TRANSITIONS) as RunStatus[]).filter((from) => TRANSITIONS[from].includes(to))
}
