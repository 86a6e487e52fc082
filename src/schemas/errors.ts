import { Type, type Static } from 'typebox'
import { ErrorObject } from './shared.js'

/** The OpenAI error envelope: `{"error": {message, type, param, code}}`. */
export const ErrorResponse = Type.Object({ error: ErrorObject })
export type ErrorResponse = Static<typeof ErrorResponse>
