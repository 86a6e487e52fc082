import type { Engine } from '../engine/engine.js'
import { ApiError, InternalServerError, ServiceUnavailableError } from '../http/errors.js'
import type { RunEvents } from '../runs/events.js'
import type { RunQueue } from '../runs/queue.js'
import type { FileBlobs } from '../store/file-blobs.js'
import type { BatchRunner } from './batch-runner.js'
import type { ResponseRunner } from './response-runner.js'
import type { ServerMetrics } from '../metrics/server-metrics.js'
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
  store: Store
  /** Null until the model has loaded: the run queue needs the engine. */
  runs: RunQueue | null
  events: RunEvents
  /** openai-poll-after-ms on run replies: how soon the SDK's poll helpers ask again. */
  pollAfterMs: number
  /** The bytes of files and upload parts. */
  blobs: FileBlobs
  /** The largest file an upload may make (`--max-file-size`). */
  maxFileBytes: number
  /** Runs batches; set once the model is ready. */
  batches: BatchRunner | null
  /** Runs background responses; set once the model is ready. */
  responseRunner: ResponseRunner | null
  /** The server's metrics, rendered by GET /metrics. */
  metrics: ServerMetrics
  /** This server's version (the API description's). */
  version: string
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

/** The run queue; it exists once the model has loaded (503 with Retry-After until then). */
export function requireRuns(deps: ApiDeps): RunQueue {
  if (!deps.runs)
    throw new ServiceUnavailableError('The model is still loading; runs start once it is ready', {
      retryAfterMs: 2000,
      code: 'model_loading',
    })
  return deps.runs
}
