import { Type, type Static } from 'typebox'

/** GET /health reply when a model is ready (200). */
export const HealthOk = Type.Object({ status: Type.Literal('ok') })
export type HealthOk = Static<typeof HealthOk>

/** GET /health reply while the model loads (503). */
export const HealthLoading = Type.Object({ status: Type.Literal('loading') })
export type HealthLoading = Static<typeof HealthLoading>

/** GET /health reply: `ok` (200) or `loading` (503). */
export const Health = Type.Union([HealthOk, HealthLoading])
export type Health = Static<typeof Health>
