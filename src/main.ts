import { createApp, type App } from './app.js'
import { bundledPglite } from './bundle-assets.js'
import { ConfigError, HELP_TEXT, parseConfig, splitCommand, type Config } from './config.js'
import { createGate, type Gate } from './http/gate.js'
import { createLogger, type Logger } from './http/logger.js'
import { reexecWithMallocEnv } from './malloc-env.js'
import { pull } from './pull.js'
import { armStopDeadline } from './stop-deadline.js'
import { startHttpServer, type HttpServer } from './transports/start.js'
import { VERSION } from './version.js'

// Streams in flight get this long to finish after SIGINT/SIGTERM before they are cancelled
const GRACE_MS = 5000
// The process ends at most this long after the grace period, whatever it is still doing (the promise: grace + 2 s),
// unless the store is still being made (src/stop-deadline.ts): then it waits for it, this long at most
const HARD_STOP_MS = 1500
const STORE_OPEN_MAX_MS = 60_000

const NO_MODEL = `oxillama-server: no model given.
  Pass a GGUF file:        --model path/to/model.gguf   (or an http(s) URL to one)
  or a Hugging Face file:  --hf-repo owner/name --hf-file model.gguf
  For example: npm start -- --model ../shared/models/stories260K.gguf --chat-template chatml
Run with --help for every option.
`

/** The running server and what its stop needs to know. */
type Running = {
  server: HttpServer
  gate: Gate
  logger: Logger
  /** The app once createApp() has settled (null if it failed). */
  app: Promise<App | null>
  /** What the stop is doing now, for the log line if it overruns. */
  phase: string
  stopping: boolean
  /** Set once the app is closed (nothing left to lose): the exit code to end with. */
  closedWith: number | null
}

async function main(): Promise<void> {
  const { command, args } = splitCommand(process.argv.slice(2))
  if (command === 'pull') {
    process.exitCode = await pull(args, process.env)
    return
  }
  let config: Config
  try {
    config = parseConfig(args, process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`oxillama-server: ${error.message}\n`)
    process.exitCode = 2
    return
  }
  if (config.help) return void process.stdout.write(HELP_TEXT)
  if (config.version) return void process.stdout.write(`oxillama-server ${VERSION}\n`)
  if (!config.model && !config.hfRepo) {
    process.stderr.write(NO_MODEL)
    process.exitCode = 2
    return
  }
  // the access log is batched per event-loop turn; whatever is left goes out as the process exits
  const logger = createLogger({ level: config.logLevel, stream: process.stderr, batch: true, format: config.logFormat })
  process.on('exit', () => logger.flush())
  // Listen before anything loads: a port in use ends the process (exit 1) before the store or the model is touched.
  // Until the app exists the gate answers 503.
  const gate = createGate({ logger, maxBodyBytes: config.maxBody })
  const server = await startHttpServer(gate.http, {
    transport: config.transport,
    host: config.host,
    port: config.port,
    logger,
  })
  logger.info(
    `oxillama-server ${VERSION} listening on ${server.url} (transport ${server.transport}); loading the model`,
  )
  // JSON logs: no progress bar between the lines a log pipeline parses
  const progress = config.logFormat === 'json' ? { progressStream: null } : {}
  const starting = createApp({ config, logger, ...bundledPglite(), ...progress })
  const running: Running = {
    server,
    gate,
    logger,
    app: starting.catch(() => null),
    phase: 'opening the store',
    stopping: false,
    closedWith: null,
  }
  onSignals(running)
  // last resort: a stray rejection is a bug to log, not a reason to drop every client of a long-running server
  process.on('unhandledRejection', (error) =>
    logger.error(`Unhandled rejection: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  )
  const app = await starting.catch((error: Error) => {
    if (!running.stopping) fail(running, error)
    return null
  })
  if (!app) return
  gate.open(app.http)
  running.phase = 'loading the model'
  // A stop during the load ends it (app.close()), which is no failure and no readiness to announce
  app.ready.then(
    () => {
      if (running.stopping) return
      running.phase = 'serving'
      const engine = app.deps.model.engine
      process.stdout.write(
        `oxillama-server ready on ${server.url}: model ${app.deps.model.id}, engine ${engine?.build} build (${engine?.buildReason}), ` +
          `transport ${server.transport}, ${config.threads} threads, ctx ${config.ctxSize}, ${config.parallel} slots\n`,
      )
    },
    (error: Error) => {
      if (!running.stopping) fail(running, error)
    },
  )
}

/** The store or the model failed: say why and stop with exit code 1 (a signal now only hurries the exit). */
function fail(running: Running, error: Error): void {
  process.stderr.write(`oxillama-server: ${error.message}\n`)
  stop(running, 1, 0)
}

function onSignals(running: Running): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (running.stopping) return hardExit(running, `a second ${signal}`)
      running.logger.info(`${signal}: stopping (up to ${GRACE_MS / 1000} s for requests in flight)`)
      stop(running, 0, GRACE_MS)
    })
  }
}

/**
 * Stops in order: /health turns 503, no new connections, requests in flight get `graceMs`, then the app (run
 * queue, engine, store) closes and the process exits with `code`. A deadline ends the process if any step hangs
 * (a store still being made is waited for first: src/stop-deadline.ts).
 */
function stop(running: Running, code: number, graceMs: number): void {
  running.stopping = true
  const deadline = {
    hardStopMs: HARD_STOP_MS,
    storeOpen: running.app,
    storeOpenMaxMs: STORE_OPEN_MAX_MS,
    waitingForStore: () =>
      running.logger.info('Waiting for the store to open before closing it (a second signal exits at once)'),
    expire: (waitedMs: number) =>
      hardExit(running, `still ${running.phase} ${(waitedMs / 1000).toFixed(1)} s after the stop`),
  }
  armStopDeadline(deadline, graceMs + HARD_STOP_MS)
  running.gate.stopping()
  ;(async () => {
    running.phase = `waiting for ${running.server.active} requests in flight`
    await running.server.close({ graceMs })
    running.phase = 'waiting for the store to open'
    const app = await running.app
    running.phase = 'closing the engine and the store'
    await app?.close()
    running.closedWith = code
    running.logger.info('stopped')
    running.phase = 'waiting for V8 to finish a WebAssembly compilation'
    await backgroundIdle()
    process.exit(code)
  })().catch((error: Error) => {
    running.logger.error(`Stop failed: ${error.message}`)
    hardExit(running, 'the stop failed')
  })
}

/**
 * Resolves once this process stops using CPU. With every worker and timer closed, what still runs is V8 finishing a
 * WebAssembly compilation on its own threads, which process.exit() would wait for, blocked, out of reach of any
 * deadline; waiting here keeps the deadline armed.
 */
async function backgroundIdle(): Promise<void> {
  let last = process.cpuUsage()
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const now = process.cpuUsage()
    const usedMs = (now.user + now.system - last.user - last.system) / 1000
    last = now
    if (usedMs < 10) return
  }
}

/**
 * Ends the process now. Once the app is closed nothing is left to lose: process.exit() with the stop's code, which
 * still waits for V8's compile threads (logged). Before that, process.exit() could block on them out of reach of
 * any deadline, so the process kills itself; as PID 1 of a PID namespace (a container's init ignores signals it has
 * no handler for, SIGKILL included) only process.exit() remains.
 */
function hardExit(running: Running, reason: string): void {
  if (running.closedWith !== null) {
    running.logger.warn(`Exiting: ${reason}; V8 may hold the exit until its compilation ends`)
    process.exit(running.closedWith)
  }
  running.logger.error(`Exiting at once: ${reason}`)
  if (process.pid !== 1) process.kill(process.pid, 'SIGKILL')
  process.exit(1)
}

reexecWithMallocEnv()
main().catch((error: Error) => {
  process.stderr.write(`oxillama-server: ${error.message}\n`)
  process.exit(1)
})
