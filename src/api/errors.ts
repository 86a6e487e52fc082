import { EngineError } from '../engine/errors.js'
import {
  ApiError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  ServiceUnavailableError,
} from '../http/errors.js'
import type { Route } from '../http/router.js'
import { RunStateError } from '../runs/machine.js'
import { StoreError } from '../store/errors.js'

/**
 * The API's error hook (`createHttpApp({ mapError })`): maps the engine's, the store's and the run queue's errors
 * to API errors; null for anything else, which the app logs and answers 500. A too-long prompt is blamed on the
 * route's `inputParam` (`messages`, `prompt`, `input`).
 */
export function toApiError(error: unknown, route: Route | null): ApiError | null {
  if (error instanceof ApiError) return error
  if (error instanceof EngineError) return engineError(error, route?.schemas.inputParam ?? null)
  if (error instanceof StoreError) return storeError(error)
  if (error instanceof RunStateError)
    return new BadRequestError(error.message, { param: error.param, shouldRetry: false })
  return null
}

function engineError(error: EngineError, inputParam: string | null): ApiError {
  switch (error.code) {
    case 'invalid_request':
      return new BadRequestError(error.message, { param: error.param })
    case 'context_length_exceeded':
      return new BadRequestError(error.message, {
        code: 'context_length_exceeded',
        param: error.param ?? inputParam,
        shouldRetry: false,
      })
    case 'rejected':
      return new BadRequestError(error.message, { param: error.param, shouldRetry: false })
    case 'busy':
      return new ServiceUnavailableError(error.message, { retryAfterMs: 1000, code: 'server_busy' })
    case 'crashed':
    case 'closed':
      return new ServiceUnavailableError(error.message, { retryAfterMs: 1000, code: 'engine_unavailable' })
    case 'aborted':
      return new BadRequestError(error.message, { code: 'request_aborted', shouldRetry: false })
    case 'load_failed':
      return new InternalServerError(error.message, { shouldRetry: false })
    default: {
      const unknown: never = error.code
      return new InternalServerError(`Engine error ${String(unknown)}`)
    }
  }
}

function storeError(error: StoreError): ApiError {
  switch (error.code) {
    case 'not_found':
      return error.kind && error.id ? new NotFoundError(error.kind, error.id) : new ApiError(404, error.message)
    case 'conflict':
      return new BadRequestError(error.message, { param: error.param, shouldRetry: false })
    case 'invalid_cursor':
      return new BadRequestError(error.message, { param: error.param })
    case 'invalid_input':
      return new BadRequestError(error.message, { code: 'invalid_value', shouldRetry: false })
    case 'locked':
    case 'closed':
      return new ServiceUnavailableError(error.message, { retryAfterMs: 1000 })
    default: {
      const unknown: never = error.code
      return new InternalServerError(`Store error ${String(unknown)}`)
    }
  }
}
