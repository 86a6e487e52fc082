import { chooseBuildForModel } from './host/build-detect.js'
import { EngineError } from './errors.js'
import { loadModel, type LoadedModel, type LoadSettings } from './host/load.js'
import { checkModel, type ModelInfo } from './gguf/model-check.js'
import { pollResults, type RawResult } from './host/poll.js'
import { Scheduler, type Lane, type LaneStats, type Slot } from './scheduler.js'
import type { EngineBuild } from './host/protocol.js'
import type { CallOptions, EngineObserver } from './types.js'
import { createTokenizer, type Tokenizer } from './tokenizer/tokenizer.js'
import { WorkerHost, type EngineLogger } from './host/worker-host.js'

/** Everything needed to run one model. */
export interface EngineConfig extends LoadSettings {
  /** A local GGUF file, or the first shard of a split set (the other shards are found beside it). */
  modelPath: string
  build: EngineBuild | 'auto'
  threads: number
  /** Interactive requests that may wait for a slot (past that: `busy`); other lanes are unbounded. */
  queueSize: number
  /** How long a background waiter yields to newer interactive work, in ms (default DEFAULT_AGING_MS). */
  agingMs?: number
  logger: EngineLogger
  /** Restart back-off after a crash, in ms: first delay, doubled up to the maximum. */
  restartDelayMs?: [first: number, max: number]
  /** Fault injection for tests: the first engine instance aborts (a real wasm abort) on its first result. */
  abortOnFirstResult?: boolean
  /** Called as the engine reads the model files (bytes read so far, total bytes). */
  onLoadProgress?: (read: number, total: number) => void
  /** Aborting it during start() ends the start at once: the worker is terminated, start() rejects. */
  signal?: AbortSignal
  /** Told of slot waits, first tokens and usage as the engine works (metrics). */
  observer?: EngineObserver
}

/** What the GGUF header says about the model (the header itself left out). */
export type ModelSummary = Omit<ModelInfo, 'header'>

/** Live counters for health and tests. */
export interface EngineStats {
  state: 'ready' | 'restarting' | 'closed'
  slots: number
  /** Slots in use, every lane. */
  active: number
  /** Work waiting for a slot, every lane. */
  queued: number
  lanes: Record<Lane, LaneStats>
  restarts: number
}

/** The WASM engine: one worker running one model, its slots, its scheduler and its restart supervisor. */
export class Engine {
  readonly config: EngineConfig
  readonly build: EngineBuild
  readonly buildReason: string
  #info: ModelInfo | null = null
  #tokenizer: Tokenizer | null = null
  #host: WorkerHost | null = null
  #model: LoadedModel | null = null
  #scheduler: Scheduler
  #state: EngineStats['state'] = 'restarting'
  #restarts = 0
  #failures = 0
  #startedAt = 0
  #restartTimer: NodeJS.Timeout | null = null
  #ready: Promise<void> | null = null

  private constructor(config: EngineConfig, chosen: { build: EngineBuild; reason: string }) {
    this.config = config
    this.build = chosen.build
    this.buildReason = chosen.reason
    const { observer } = config
    this.#scheduler = new Scheduler({
      slots: config.parallel,
      queueSize: config.queueSize,
      ...(config.agingMs !== undefined ? { agingMs: config.agingMs } : {}),
      ...(observer ? { onGrant: (lane: Lane, ms: number) => observer.slotGranted(lane, ms / 1000) } : {}),
    })
  }

  /** Starts the engine and loads the model; rejects with a clear error when it cannot. */
  static async start(config: EngineConfig): Promise<Engine> {
    // the header is checked first: a bad file gets a clear error instead of a C++ failure deep in the load; a file
    // too big for the wasm32 builds moves auto to the memory64 build
    const { choice, info } = await chooseBuildForModel(config.build, (build) =>
      checkModel(config.modelPath, { build, nCtx: config.ctxSize, nParallel: config.parallel }),
    )
    const engine = new Engine(config, choice)
    engine.#info = info
    engine.#tokenizer = createTokenizer(info.header, { warn: (message) => config.logger.warn(message) })
    await engine.#spawn(config.abortOnFirstResult === true)
    return engine
  }

  /** The model's GGUF facts: files, architecture, sizes, chat template. */
  get modelInfo(): ModelSummary {
    const { header: _header, ...summary } = this.#requireInfo()
    return summary
  }

  /** The model's tokenizer (a port of llama.cpp's), for tokenize/detokenize and prompt budgets. */
  get tokenizer(): Tokenizer {
    if (!this.#tokenizer) throw new EngineError('closed', 'No model is loaded')
    return this.#tokenizer
  }

  /** What the engine reported when it loaded the model. */
  get model(): LoadedModel {
    if (!this.#model) throw new EngineError('closed', 'No model is loaded')
    return this.#model
  }

  /** Counters: state, slots, work in slots and waiting (in total and per lane), restarts so far. */
  get stats(): EngineStats {
    const { slots, busy, lanes } = this.#scheduler.stats
    return { state: this.#state, slots, active: busy, queued: this.#scheduler.queued, lanes, restarts: this.#restarts }
  }

  /** Resolves when the engine is ready (after a restart, once the model is loaded again). */
  whenReady(): Promise<void> {
    return this.#ready ?? Promise.resolve()
  }

  /**
   * Takes a slot in the lane ahead of the work, for a caller that must record the start before it (a run leaves
   * `queued` only once it has a slot). Pass it to run() and release it when done.
   */
  reserve(lane: Lane, signal?: AbortSignal): Promise<Slot> {
    return this.#scheduler.acquire(lane, signal)
  }

  /**
   * Runs one engine request (completion or embedding) in a slot and yields its raw results. Waits in its lane of
   * the scheduler first, unless given a reserved slot; aborting the signal cancels it wherever it is.
   */
  async *run(
    action: 'completion' | 'embedding',
    message: Record<string, unknown>,
    options: CallOptions = {},
  ): AsyncGenerator<RawResult> {
    const { signal } = options
    const slot = options.slot ?? (await this.#scheduler.acquire(options.lane ?? 'interactive', signal))
    try {
      const host = this.#host
      if (!host || this.#state !== 'ready') throw new EngineError('closed', 'The engine is not running')
      const name = action === 'completion' ? 'cmpl_req' : 'embd_req'
      const res = await host.action(action, { _name: name, files: [], ...message })
      if (!res.success) throw new EngineError('rejected', `The engine could not start the ${action}`)
      yield* pollResults(host, res.req_id as number, signal)
    } finally {
      if (slot !== options.slot) slot.release()
    }
  }

  /** Fault injection for tests: kills the engine worker as a crash would. */
  async simulateCrash(): Promise<void> {
    await this.#host?.kill()
  }

  /** Stops the engine: queued requests fail, in-flight ones end with `closed`, the worker and pthreads exit. */
  async close(): Promise<void> {
    this.#state = 'closed'
    if (this.#restartTimer) clearTimeout(this.#restartTimer)
    this.#scheduler.rejectAll(new EngineError('closed', 'The engine was shut down'))
    const host = this.#host
    this.#host = null
    await host?.close()
  }

  #requireInfo(): ModelInfo {
    if (!this.#info) throw new EngineError('closed', 'No model is loaded')
    return this.#info
  }

  async #spawn(abortOnFirstResult: boolean): Promise<void> {
    const info = this.#requireInfo()
    const onRead = this.config.onLoadProgress && ((read: number) => this.config.onLoadProgress?.(read, info.fileSize))
    const host = new WorkerHost({
      build: this.build,
      threads: this.config.threads,
      logger: this.config.logger,
      onDeath: (e) => this.#onDeath(e),
      onRead,
    })
    // A stop during the start must not wait for the wasm to compile and the model to load: terminate the worker
    const signal = this.config.signal
    const abort = () => void host.close().catch(() => {})
    signal?.addEventListener('abort', abort)
    try {
      signal?.throwIfAborted()
      await host.start()
      const settings = abortOnFirstResult ? { ...this.config, poolingType: 'test_stack_trace_abort' } : this.config
      this.#model = await loadModel(host, info.paths, settings)
      signal?.throwIfAborted()
    } catch (error) {
      await host.close().catch(() => {})
      throw signal?.aborted ? signal.reason : error
    } finally {
      signal?.removeEventListener('abort', abort)
    }
    if (this.#state === 'closed') {
      await host.close()
      return
    }
    this.#host = host
    this.#state = 'ready'
    this.#startedAt = Date.now()
    this.#scheduler.resume()
  }

  #onDeath(error: EngineError): void {
    if (this.#state === 'closed' || this.#state === 'restarting') return
    this.#state = 'restarting'
    this.#scheduler.pause()
    this.#host = null
    // an engine that ran for a minute is healthy again: start the back-off from the beginning
    if (Date.now() - this.#startedAt > 60_000) this.#failures = 0
    this.config.logger.error(`Engine crashed: ${error.message}; restarting`)
    this.#ready = new Promise((resolve) => this.#scheduleRestart(resolve))
  }

  #scheduleRestart(resolve: () => void): void {
    const [first, max] = this.config.restartDelayMs ?? [500, 30_000]
    const delay = Math.min(max, first * 2 ** this.#failures)
    this.#failures++
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null
      if (this.#state === 'closed') return resolve()
      this.#spawn(false).then(
        () => {
          this.#restarts++
          this.config.logger.info(`Engine restarted (restart ${this.#restarts})`)
          resolve()
        },
        (error: Error) => {
          this.config.logger.error(`Engine restart failed: ${error.message}`)
          this.#scheduleRestart(resolve)
        },
      )
    }, delay) // not unref'd: requests waiting for the restart must keep the process alive; close() clears it
  }
}
