import { createApp, type App } from './app.js'
import { bundledPglite } from './bundle-assets.js'
import { ConfigError, HELP_TEXT, parseConfig, splitCommand, type Config } from './config.js'
import { createLogger, type Logger } from './http/logger.js'
import { pull } from './pull.js'
import { startHttpServer, type HttpServer } from './transports/start.js'
import { VERSION } from './version.js'

// Streams in flight get this long to finish after SIGINT/SIGTERM before they are cancelled
const GRACE_MS = 5000

const NO_MODEL = `oxillama-server: no model given.
  Pass a GGUF file:        --model path/to/model.gguf   (or an http(s) URL to one)
  or a Hugging Face file:  --hf-repo owner/name --hf-file model.gguf
  For example: npm start -- --model ../shared/models/stories260K.gguf --chat-template chatml
Run with --help for every option.
`

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
  const logger = createLogger({ level: config.logLevel, stream: process.stderr, batch: true })
  process.on('exit', () => logger.flush())
  const app = await createApp({ config, logger, ...bundledPglite() })
  const server = await startHttpServer(app.http, {
    transport: config.transport,
    host: config.host,
    port: config.port,
    logger,
  })
  logger.info(
    `oxillama-server ${VERSION} listening on ${server.url} (transport ${server.transport}); loading the model`,
  )
  const stop = { requested: false }
  onSignals(app, server, logger, stop)
  // last resort: a stray rejection is a bug to log, not a reason to drop every client of a long-running server
  process.on('unhandledRejection', (error) =>
    logger.error(`Unhandled rejection: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  )
  // A stop during the load ends it (app.close()), which is no failure and no readiness to announce
  app.ready.then(
    () => {
      if (stop.requested) return
      const engine = app.deps.model.engine
      process.stdout.write(
        `oxillama-server ready on ${server.url}: model ${app.deps.model.id}, engine ${engine?.build} build (${engine?.buildReason}), ` +
          `transport ${server.transport}, ${config.threads} threads, ctx ${config.ctxSize}, ${config.parallel} slots\n`,
      )
    },
    (error: Error) => {
      if (stop.requested) return
      stop.requested = true // a signal now only hurries the exit: it must not turn this failure into exit code 0
      process.stderr.write(`oxillama-server: ${error.message}\n`)
      shutdown(app, server, logger, 1).catch(() => process.exit(1))
    },
  )
}

function onSignals(app: App, server: HttpServer, logger: Logger, stop: { requested: boolean }): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stop.requested) process.exit(1) // a second signal: stop waiting
      stop.requested = true
      logger.info(`${signal}: stopping (up to ${GRACE_MS / 1000} s for requests in flight)`)
      shutdown(app, server, logger, 0).catch((error: Error) => {
        logger.error(`Shutdown failed: ${error.message}`)
        process.exit(1)
      })
    })
  }
}

async function shutdown(app: App, server: HttpServer, logger: Logger, code: number): Promise<void> {
  await server.close({ graceMs: GRACE_MS })
  await app.close()
  logger.info('stopped')
  process.exitCode = code
}

main().catch((error: Error) => {
  process.stderr.write(`oxillama-server: ${error.message}\n`)
  process.exit(1)
})
