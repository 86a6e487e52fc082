import type { Engine } from '../engine/engine.js'
import { ApiError, InternalServerError, ServiceUnavailableError } from '../http/errors.js'
import type { RunEvents } from '../runs/events.js'
import type { RunQueue } from '../runs/queue.js'
import type { FileBlobs } from '../store/file-blobs.js'
import type { BatchRunner } from './batch-runner.js'
import type { Store } from '../store/store.js'

/** The model the server serves: public id, aliases, and the engine once it has loaded. */
export interface ModelSlot {
  /** The id /v1/models shows (the first alias, or the file name). */
  readonly id: string
  /** Every name a request may use for it. */
  readonly names: readonly string[]
  readonly created: number
  state: 'loading' | 'ready' | 'failed'
  engine: Engine | null
  error: Error | null
}

/** Everything the route modules use, built in app.ts; no module-level singletons. */
export interface ApiDeps {
  model: ModelSlot
  store: Store | null
  runs: RunQueue | null
  events: RunEvents
  /** openai-poll-after-ms on run replies: how soon the SDK's poll helpers ask again. */
  pollAfterMs: number
  /** The bytes of files and upload parts (null without a store). */
  blobs: FileBlobs | null
  /** The largest file an upload may make (`--max-file-size`). */
  maxFileBytes: number
  /** Runs batches; set once the model is ready. */
  batches: BatchRunner | null
}

/** The engine, or 503 while the model loads (500 if it failed to load). */
export function requireEngine(deps: ApiDeps): Engine {
  const { model } = deps
  if (model.state === 'ready' && model.engine) return model.engine
  if (model.state === 'failed')
    throw new InternalServerError(`The model failed to load: ${model.error?.message ?? 'unknown error'}`, {
      shouldRetry: false,
    })
  throw new ServiceUnavailableError('The model is still loading; try again shortly', {
    retryAfterMs: 2000,
    code: 'model_loading',
  })
}

/** Checks a request's `model` against the served model's names: 404 model_not_found otherwise. */
export function checkModelName(deps: ApiDeps, name: string, param = 'model'): void {
  if (deps.model.names.includes(name)) return
  throw new ApiError(
    404,
    `The model '${name}' does not exist or you do not have access to it. This server serves '${deps.model.id}'.`,
    { code: 'model_not_found', param },
  )
}

/** The store, or 503 when the server runs without one. */
export function requireStore(deps: ApiDeps): { store: Store } {
  if (!deps.store) throw new ServiceUnavailableError('The Assistants store is not available', { shouldRetry: false })
  return { store: deps.store }
}

/** The store and the run queue; the queue exists once the model has loaded (503 with Retry-After until then). */
export function requireRuns(deps: ApiDeps): { store: Store; runs: RunQueue } {
  const { store } = requireStore(deps)
  if (!deps.runs)
    throw new ServiceUnavailableError('The model is still loading; runs start once it is ready', {
      retryAfterMs: 2000,
      code: 'model_loading',
    })
  return { store, runs: deps.runs }
}

/** The store and the file bytes, or 503 when the server runs without a store. */
export function requireFiles(deps: ApiDeps): { store: Store; blobs: FileBlobs } {
  const { store } = requireStore(deps)
  if (!deps.blobs) throw new ServiceUnavailableError('The file store is not available', { shouldRetry: false })
  return { store, blobs: deps.blobs }
}
