/** Codes the store attaches to its errors; api/errors.ts maps them to HTTP statuses. */
export type StoreErrorCode =
  | 'not_found' // no such object (or not under the given thread/run): 404
  | 'conflict' // the object's state forbids the change, e.g. a second active run on a thread: 400/409
  | 'invalid_cursor' // `after`/`before` names no object in the listed scope: 400 with `param`
  | 'invalid_input' // the database refused a value of the request (a data exception, SQLSTATE class 22): 400
  | 'locked' // another live process holds the data directory
  | 'closed' // the store was closed

/** Options of StoreError: the object kind and id it concerns, or the request parameter at fault. */
export type StoreErrorOptions = {
  kind?: string
  id?: string
  param?: string
  cause?: unknown
}

/** An error from the store layer, with a code and, where known, the object kind/id or the parameter at fault. */
export class StoreError extends Error {
  readonly code: StoreErrorCode
  /** Object kind as OpenAI names it in messages: 'assistant', 'thread', 'message', 'run', 'run step'. */
  readonly kind: string | null
  readonly id: string | null
  readonly param: string | null
  constructor(code: StoreErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StoreError'
    this.code = code
    this.kind = options.kind ?? null
    this.id = options.id ?? null
    this.param = options.param ?? null
  }
}

/** A not_found StoreError worded as OpenAI does: "No thread found with id 'thread_x'." */
export function notFound(kind: string, id: string): StoreError {
  return new StoreError('not_found', `No ${kind} found with id '${id}'.`, { kind, id })
}
