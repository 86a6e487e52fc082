import { Type, type Static } from 'typebox'

const Count = Type.Integer({ minimum: 0 })

/** Engine work of one scheduler lane: holding a slot, and waiting for one. */
export const HealthLane = Type.Object({
  running: Count,
  queued: Type.Integer({ minimum: 0, description: 'Waiting for a slot.' }),
})
export type HealthLane = Static<typeof HealthLane>

/** The scheduler's lanes: HTTP requests, Assistants runs, batches. */
export const HealthLanes = Type.Object({ interactive: HealthLane, background: HealthLane, batch: HealthLane })
export type HealthLanes = Static<typeof HealthLanes>

const engineCounters = {
  slots_total: Type.Integer({ minimum: 1, description: 'Engine slots (--parallel).' }),
  slots_busy: Type.Integer({ minimum: 0, description: 'Slots in use, every lane.' }),
  queued: Type.Integer({ minimum: 0, description: 'Work waiting for a slot, every lane.' }),
  lanes: HealthLanes,
  restarts: Type.Integer({ minimum: 0, description: 'Engine restarts after a crash since start.' }),
}

/** GET /health reply when a model is ready (200). */
export const HealthOk = Type.Object({ status: Type.Literal('ok'), ...engineCounters })
export type HealthOk = Static<typeof HealthOk>

/** GET /health reply while the engine restarts after a crash (503). */
export const HealthRestarting = Type.Object({ status: Type.Literal('restarting'), ...engineCounters })
export type HealthRestarting = Static<typeof HealthRestarting>

/** GET /health reply while the model loads (503). */
export const HealthLoading = Type.Object({ status: Type.Literal('loading') })
export type HealthLoading = Static<typeof HealthLoading>

/** GET /health reply when the model failed to load (503). */
export const HealthError = Type.Object({ status: Type.Literal('error'), error: Type.Optional(Type.String()) })
export type HealthError = Static<typeof HealthError>

/** GET /health reply: `ok` (200), or `restarting`, `loading` or `error` (503). */
export const Health = Type.Union([HealthOk, HealthRestarting, HealthLoading, HealthError])
export type Health = Static<typeof Health>
