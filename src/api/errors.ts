import { EngineError } from '../engine/errors.js'
import {
  ApiError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  ServiceUnavailableError,
} from '../http/errors.js'
import type { SseEvent } from '../http/sse.js'
import { RunStateError } from '../runs/queue.js'
import { StoreError } from '../store/errors.js'

/**
 * Maps the engine's, the store's and the run queue's errors to API errors; anything else passes through.
 * `promptParam` names the field a too-long prompt came from (`messages`, `prompt`, `input`).
 */
export function toApiError(error: unknown, promptParam = 'messages'): unknown {
  if (error instanceof ApiError) return error
  if (error instanceof EngineError) return engineError(error, promptParam)
  if (error instanceof StoreError) return storeError(error)
  if (error instanceof RunStateError)
    return new BadRequestError(error.message, { param: error.param, shouldRetry: false })
  return error
}

function engineError(error: EngineError, promptParam: string): ApiError {
  switch (error.code) {
    case 'invalid_request':
      return new BadRequestError(error.message, { param: error.param })
    case 'context_length_exceeded':
      return new BadRequestError(error.message, {
        code: 'context_length_exceeded',
        param: error.param ?? promptParam,
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

/** Runs a handler body, turning engine/store/run errors into API errors (`promptParam` as in toApiError()). */
export async function mapErrors<T>(fn: () => Promise<T> | T, promptParam?: string): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw toApiError(error, promptParam)
  }
}

/** The error envelope as a last SSE data event (chat and completions streams end this way after headers). */
export function errorEvent(error: unknown): SseEvent {
  const mapped = toApiError(error)
  const api = mapped instanceof ApiError ? mapped : new InternalServerError()
  return { data: JSON.stringify({ error: { message: api.message, type: api.type, param: api.param, code: api.code } }) }
}
