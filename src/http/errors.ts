/** Fields an ApiError may carry beyond its status and message. */
export type ApiErrorOptions = {
  /** The envelope's `type`; defaults from the status (`invalid_request_error`, `server_error`, ...). */
  type?: string
  param?: string | null
  code?: string | null
  /** Extra reply headers, lowercase names. */
  headers?: Record<string, string>
  /** Sets `retry-after` (seconds, rounded up) and `retry-after-ms`, which openai-node honours. */
  retryAfterMs?: number
  /** `false` sends `x-should-retry: false`: the SDK then does not retry a deterministic failure. */
  shouldRetry?: boolean
  cause?: unknown
}

/** The body of every error reply: OpenAI's envelope, all four keys always present. */
export type ErrorEnvelope = { error: { message: string; type: string; param: string | null; code: string | null } }

function defaultType(status: number): string {
  if (status === 429) return 'requests'
  return status >= 500 ? 'server_error' : 'invalid_request_error'
}

/** An error with an HTTP status that `app.handle()` turns into OpenAI's error envelope. */
export class ApiError extends Error {
  readonly status: number
  readonly type: string
  readonly param: string | null
  readonly code: string | null
  readonly headers: Record<string, string>

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.status = status
    this.type = options.type ?? defaultType(status)
    this.param = options.param ?? null
    this.code = options.code ?? null
    const headers: Record<string, string> = { ...options.headers }
    if (options.retryAfterMs !== undefined) {
      const ms = Math.max(0, Math.ceil(options.retryAfterMs))
      headers['retry-after'] = String(Math.ceil(ms / 1000))
      headers['retry-after-ms'] = String(ms)
    }
    if (options.shouldRetry !== undefined) headers['x-should-retry'] = String(options.shouldRetry)
    this.headers = headers
  }

  /** The wire body: `{"error":{"message","type","param","code"}}`. */
  toEnvelope(): ErrorEnvelope {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }
  }
}

/** 400: the request is malformed or fails validation. */
export class BadRequestError extends ApiError {
  constructor(message: string, options: ApiErrorOptions = {}) {
    super(400, message, options)
  }
}

/** 401: missing or wrong API key. */
export class AuthenticationError extends ApiError {
  constructor(message: string, options: ApiErrorOptions = {}) {
    super(401, message, { code: 'invalid_api_key', ...options })
  }
}

/** 403: the key may not do this. */
export class PermissionDeniedError extends ApiError {
  constructor(message: string, options: ApiErrorOptions = {}) {
    super(403, message, options)
  }
}

/** 404: no object of this kind with this id. */
export class NotFoundError extends ApiError {
  constructor(kind: string, id: string, options: ApiErrorOptions = {}) {
    super(404, `No ${kind} found with id '${id}'.`, options)
  }
}

/** 409: the object's state forbids the action (e.g. a run already finished). */
export class ConflictError extends ApiError {
  constructor(message: string, options: ApiErrorOptions = {}) {
    super(409, message, options)
  }
}

/** 413: the request body is larger than `--max-body`. */
export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number, options: ApiErrorOptions = {}) {
    super(413, `Request body too large: the limit is ${limitBytes} bytes.`, {
      code: 'request_too_large',
      shouldRetry: false,
      ...options,
    })
  }
}

/** 422: well-formed but semantically impossible. */
export class UnprocessableEntityError extends ApiError {
  constructor(message: string, options: ApiErrorOptions = {}) {
    super(422, message, options)
  }
}

/** 429: too many requests for now; pass `retryAfterMs`. */
export class RateLimitError extends ApiError {
  constructor(message: string, options: ApiErrorOptions = {}) {
    super(429, message, { code: 'rate_limit_exceeded', ...options })
  }
}

/** 500: an unexpected server failure, with OpenAI's generic wording by default. */
export class InternalServerError extends ApiError {
  constructor(
    message = 'The server had an error while processing your request. Sorry about that!',
    options: ApiErrorOptions = {},
  ) {
    super(500, message, options)
  }
}

/** 503: no model ready or the server is shutting down; pass `retryAfterMs`. */
export class ServiceUnavailableError extends ApiError {
  constructor(message: string, options: ApiErrorOptions = {}) {
    super(503, message, options)
  }
}
