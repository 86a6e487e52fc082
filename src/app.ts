import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ApiDeps, ModelSlot } from './api/deps.js'
import { BatchRunner } from './api/batch-runner.js'
import { ResponseRunner } from './api/response-runner.js'
import { toApiError } from './api/errors.js'
import { registerRoutes } from './api/routes.js'
import type { Config } from './config.js'
import { Engine, type EngineConfig } from './engine/engine.js'
import type { EngineObserver } from './engine/types.js'
import { raiseWasmTieringBudget } from './engine/host/wasm-tiering.js'
import { resolveModelSource, type ModelSourceOptions } from './acquire/model-source.js'
import { createProgress } from './acquire/progress.js'
import { createHttpApp, type HttpApp } from './http/http-app.js'
import type { Logger } from './http/logger.js'
import { Router } from './http/router.js'
import { ServerMetrics } from './metrics/server-metrics.js'
import { modelNames } from './model-names.js'
import { modelSourceOptions } from './pull.js'
import { RunEvents } from './runs/events.js'
import { RunQueue } from './runs/queue.js'
import { FileBlobs } from './store/file-blobs.js'
import { openPgliteStore } from './store/pglite.js'
import type { Store } from './store/store.js'
import { sweepExpired } from './store/sweep.js'
import { VERSION } from './version.js'

/** How often expired files and abandoned uploads are swept (also once at startup). */
const SWEEP_INTERVAL_MS = 10 * 60_000

/** Options of createApp(): the parsed config plus what tests override. */
export interface AppOptions {
  config: Config
  logger: Logger
  /** Check every JSON reply against its route's schema (tests). */
  validateReplies?: boolean
  heartbeatMs?: number
  pollAfterMs?: number
  toolOutputTimeoutS?: number
  /** Engine settings beyond the config (tests: fault injection, restart delays). */
  engine?: Partial<EngineConfig>
  /** Where PGlite's assets are (the bundle's folder); unset: beside PGlite's own module. */
  pgliteAssetsDir?: string
  /** Download progress and load progress stream; null for none. */
  progressStream?: NodeJS.WritableStream | null
  modelSource?: Partial<ModelSourceOptions>
  /** The rate limits' window (default one minute; tests shorten it). */
  rateLimitWindowMs?: number
}

/** The composed server: HTTP app, dependencies, and the model load in progress. */
export interface App {
  readonly http: HttpApp
  readonly deps: ApiDeps
  /** The route table the app serves (tests walk it; API descriptions read it). */
  readonly router: Router
  /** Resolves once the model is loaded and runs are being served; rejects if the model cannot load. */
  readonly ready: Promise<void>
  /** Stops a model load in progress (an engine that is starting is closed once up), then the run queue, engine and store. */
  close(): Promise<void>
}

/**
 * Builds the server: opens the store, registers every route, and starts loading the model in the background so the
 * HTTP server can listen (and /health answer 503) while it loads.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { config, logger } = options
  if (!config.model && !config.hfRepo)
    throw new Error('No model given: pass --model <file.gguf|url> or --hf-repo <owner/name> --hf-file <file.gguf>')
  raiseWasmTieringBudget() // before PGlite's and the engine's wasm are instantiated
  const metrics = new ServerMetrics({ version: VERSION })
  // close() during the load stops a download at once; an engine that is starting is closed as soon as it is up
  const loading = new AbortController()
  // The engine starts while the store opens (both take a while; each mostly waits on its own thread)
  const starting = startEngine(options, metrics.engine, loading.signal)
  starting.catch(() => undefined) // its error is reported through `ready`
  let store: Store
  let blobs: FileBlobs
  try {
    store = await openPgliteStore(config.dataDir, {
      ...(options.pgliteAssetsDir ? { assetsDir: options.pgliteAssetsDir } : {}),
      onQuery: metrics.storeQuery,
    })
    const opened = store
    blobs = await FileBlobs.open(path.join(config.dataDir, 'files'), () => opened.files.ids())
  } catch (error) {
    loading.abort(error)
    await starting.then((engine) => engine.close()).catch(() => undefined)
    throw error
  }
  const sweeper = startSweeper(store, blobs, logger)
  await sweeper.done
  const named = modelNames(config.model ?? config.hfFile ?? 'model', config.aliases)
  const model: ModelSlot = {
    id: named.id,
    names: named.names,
    created: Math.floor(Date.now() / 1000),
    state: 'loading',
    engine: null,
    error: null,
  }
  const events = new RunEvents()
  const deps: ApiDeps = {
    model,
    store,
    runs: null,
    events,
    pollAfterMs: options.pollAfterMs ?? 250,
    blobs,
    maxFileBytes: config.maxFileSize,
    batches: null,
    responseRunner: null,
    metrics,
    version: VERSION,
  }
  const router = new Router()
  registerRoutes(router, deps)
  const http = createHttpApp({
    router,
    logger,
    maxBodyBytes: config.maxBody,
    apiKeys: config.apiKeys,
    publicRoutes: config.publicRoutes,
    rateLimit: {
      requests: config.rateLimitRpm,
      tokens: config.rateLimitTpm,
      ...(options.rateLimitWindowMs !== undefined ? { windowMs: options.rateLimitWindowMs } : {}),
    },
    corsOrigin: config.corsOrigins,
    mapError: toApiError,
    onRequestDone: metrics.requestDone,
    ...(options.validateReplies ? { validateReplies: true } : {}),
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
  })
  const ready = serveModel(starting, deps, options, loading.signal).then(() => startBatches(options, deps, http, blobs))
  ready.catch((error: Error) => {
    model.state = 'failed'
    model.error = error
    if (!loading.signal.aborted) logger.error(error.message)
  })
  let closing: Promise<void> | null = null
  return {
    http,
    deps,
    router,
    ready,
    close() {
      closing ??= (async () => {
        loading.abort(new Error('Cannot load the model: the server is stopping'))
        await ready.catch(() => undefined) // the load must be done with the store before it closes
        await deps.batches?.close()
        await sweeper.close()
        await deps.runs?.close()
        await deps.responseRunner?.close()
        await model.engine?.close()
        await store.close()
      })()
      return closing
    },
  }
}

/** Finds or downloads the model file and starts the engine on it; needs nothing from the store. */
async function startEngine(options: AppOptions, observer: EngineObserver, signal: AbortSignal): Promise<Engine> {
  const { config, logger } = options
  const progressStream = options.progressStream === undefined ? process.stderr : options.progressStream
  const modelPath = await resolveModelSource({
    ...modelSourceOptions(config),
    log: (m) => logger.info(m),
    progressStream: progressStream as never,
    signal,
    ...options.modelSource,
  })
  signal.throwIfAborted()
  const chatTemplate = config.chatTemplateFile ? await readFile(config.chatTemplateFile, 'utf8') : config.chatTemplate
  const progress = progressStream
    ? createProgress({ label: `loading ${path.basename(modelPath)}`, stream: progressStream as never })
    : null
  const engine = await Engine.start({
    modelPath,
    build: config.engineBuild,
    threads: config.threads,
    ctxSize: config.ctxSize,
    parallel: config.parallel,
    batchSize: config.batchSize,
    queueSize: config.queueSize,
    chatTemplate,
    logger,
    onLoadProgress: (read, total) => progress?.update(Math.min(read, total), total),
    signal,
    observer,
    ...options.engine,
  })
  progress?.finish()
  return engine
}

/** Once the engine is up: serves the model and resumes the runs a restart interrupted. */
async function serveModel(
  starting: Promise<Engine>,
  deps: ApiDeps,
  options: AppOptions,
  signal: AbortSignal,
): Promise<void> {
  const { logger } = options
  const { store } = deps
  const engine = await starting
  if (signal.aborted) {
    await engine.close()
    signal.throwIfAborted()
  }
  deps.model.engine = engine
  const runs = new RunQueue({
    store,
    engine,
    events: deps.events,
    logger,
    toolOutputTimeoutS: options.toolOutputTimeoutS ?? 600,
  })
  const recovered = await runs.recover()
  if (recovered.requeued || recovered.failed)
    logger.info(`Runs after restart: ${recovered.requeued} queued again, ${recovered.failed} failed`)
  deps.runs = runs
  const responseRunner = new ResponseRunner({ store, engine, logger })
  const background = await responseRunner.recover()
  if (background.requeued || background.failed)
    logger.info(`Background responses after restart: ${background.requeued} queued again, ${background.failed} failed`)
  deps.responseRunner = responseRunner
  deps.model.state = 'ready'
}

/** Starts the batch runner once the model is ready and resumes the batches a restart interrupted. */
async function startBatches(options: AppOptions, deps: ApiDeps, http: HttpApp, blobs: FileBlobs): Promise<void> {
  const { store } = deps
  if (!store) return
  const key = options.config.apiKeys[0]
  const runner = new BatchRunner({
    store,
    blobs,
    handle: (request) => http.handle(request),
    concurrency: options.config.parallel,
    whenReady: () => deps.model.engine?.whenReady() ?? Promise.resolve(),
    ...(key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } }),
    logger: options.logger,
  })
  const resumed = await runner.recover()
  if (resumed) options.logger.info(`Batches after restart: ${resumed} resumed`)
  deps.batches = runner
}

/** Sweeps expired files and uploads now and every SWEEP_INTERVAL_MS; `done` is the sweep in progress. */
function startSweeper(store: Store, blobs: FileBlobs, logger: Logger): { done: Promise<void>; close(): Promise<void> } {
  const sweeper = { done: Promise.resolve(), close }
  const sweep = () => {
    sweeper.done = sweepExpired(store, blobs, Math.floor(Date.now() / 1000)).then(
      ({ files, uploads }) => {
        if (files.length || uploads.length)
          logger.info(`Swept ${files.length} expired files, ${uploads.length} uploads`)
      },
      (error: Error) => logger.error(`Sweeping expired files failed: ${error.message}`),
    )
  }
  sweep()
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS).unref()
  async function close() {
    clearInterval(timer)
    await sweeper.done
  }
  return sweeper
}
