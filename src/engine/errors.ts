/** Codes the engine attaches to its errors; api/errors.ts maps them to HTTP statuses. */
export type EngineErrorCode =
  | 'invalid_request' // a bad argument, caught before the engine
  | 'rejected' // the engine refused one request (it keeps running)
  | 'crashed' // the engine aborted; it restarts by itself
  | 'closed' // the engine was shut down
  | 'busy' // admission queue full
  | 'context_length_exceeded'
  | 'load_failed'
  | 'aborted'

/** An error from the engine layer, with a code and, for bad arguments, the parameter at fault. */
export class EngineError extends Error {
  readonly code: EngineErrorCode
  readonly param: string | null
  constructor(code: EngineErrorCode, message: string, param: string | null = null) {
    super(message)
    this.name = 'EngineError'
    this.code = code
    this.param = param
  }
}
