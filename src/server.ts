// The library entry (package.json `exports`): createServer() for embedding the server in an application, behind
// Deno.serve, Bun.serve, a fetch framework or its own listen(). Its exported types are written out here, with no
// imports, so that the build can emit this file's declarations alone (dist/oxillama-server.d.mts).
import { createApp } from './app.js'
import { bundledPglite } from './bundle-assets.js'
import { configFromOptions } from './config.js'
import { createLogger } from './http/logger.js'
import { createFetchTransport } from './transports/fetch.js'
import { startHttpServer, type HttpServer } from './transports/start.js'

/** The command-line flags in camelCase; each is checked as its flag is (see `oxillama-server --help`). */
export type ServerOptions = {
  /** A local GGUF file or an http(s) URL to download into the cache. */
  model?: string
  /** Hugging Face repository (owner/name), with `hfFile`. */
  hfRepo?: string
  hfFile?: string
  hfRevision?: string
  hfToken?: string
  /** Expected sha256 of the model file, checked after a download. */
  sha256?: string
  /** Public model name(s) for the API (default: the file name). */
  alias?: string | string[]
  /** Where `listen()` listens (default 127.0.0.1). */
  host?: string
  /** Port of `listen()`, 0 for any free port (default 8080). */
  port?: number
  /** Bearer key(s) every request but /health must carry (default: none). */
  apiKey?: string | string[]
  /** A file of bearer keys, one a line (`#` comments and blank lines skipped). */
  apiKeyFile?: string
  /** Routes that need no key besides /health, such as '/v1/models'. */
  publicRoutes?: string | string[]
  /** Requests per minute per key (per client address without keys); 0 for none (default). */
  rateLimitRpm?: number
  /** Tokens per minute per key (per client address without keys); 0 for none (default). */
  rateLimitTpm?: number
  /** The HTTP server of `listen()` under Node; Deno and Bun use their own with 'auto'. */
  transport?: 'auto' | 'uws' | 'node'
  /** Largest request body: bytes, or a size such as '10mb' (default 10mb). */
  maxBody?: number | string
  /** Largest uploaded file (/v1/files, /v1/uploads): bytes, or a size such as '1gb' (default 512mb). */
  maxFileSize?: number | string
  /** Allowed CORS origin(s), '*' for any (default: CORS off). */
  corsOrigin?: string | string[]
  queueSize?: number
  threads?: number
  ctxSize?: number
  parallel?: number
  batchSize?: number
  engineBuild?: 'simd' | 'relaxed' | 'main' | 'compat' | 'auto'
  /** A llama.cpp built-in template name or Jinja source (default: the model's own). */
  chatTemplate?: string
  chatTemplateFile?: string
  /** Where the Assistants store lives (default ./data). */
  dataDir?: string
  /** Where downloaded models are kept (default <dataDir>/models). */
  cacheDir?: string
  logLevel?: 'error' | 'warn' | 'info' | 'debug'
  /** Text lines (default) or JSON lines as pino writes them. */
  logFormat?: 'text' | 'json'
}

/** Options of `listen()`; unset ones come from the server's options. */
export type ListenOptions = { host?: string; port?: number; transport?: 'auto' | 'uws' | 'node' }

/** A server started by `listen()`. */
export type Listener = {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string
  readonly port: number
  /** uws or node under Node, deno or bun for their own servers. */
  readonly transport: 'uws' | 'node' | 'deno' | 'bun'
  /** Stops this listener: waits up to `graceMs` (default 5000) for requests in flight, then drops them. */
  close(options?: { graceMs?: number }): Promise<void>
}

/** The embedded server. */
export type OxillamaServer = {
  /** A standard fetch handler: `Deno.serve(ox.fetch)`, `Bun.serve({ fetch: ox.fetch, idleTimeout: 0 })`. */
  fetch(request: Request, server?: unknown): Promise<Response>
  /** Resolves once the model is loaded; until then model routes answer 503. Rejects if it cannot load. */
  readonly ready: Promise<void>
  /** Serves on a port with the best server of this runtime (uWS, then node:http under Node). */
  listen(options?: ListenOptions): Promise<Listener>
  /**
   * Stops: later requests get 503, requests in flight get up to `graceMs` (default 5000) to finish and are then
   * cut short; then the runs, the engine and the store close. Safe to call more than once.
   */
  close(options?: { graceMs?: number }): Promise<void>
}

const DEFAULT_GRACE_MS = 5000

/**
 * Creates the server: checks the options as the CLI checks its flags (a bad one rejects with a message naming it),
 * opens the store and starts loading the model in the background; `ready` says when the load is done.
 */
export async function createServer(options: ServerOptions): Promise<OxillamaServer> {
  const config = configFromOptions(options as Record<string, unknown>)
  const logger = createLogger({ level: config.logLevel, stream: process.stderr, format: config.logFormat })
  const app = await createApp({ config, logger, ...bundledPglite() })
  const transport = createFetchTransport(app.http)
  const listeners = new Set<HttpServer>()
  let closing: Promise<void> | null = null

  async function drain(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs
    while (transport.active > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
    transport.closeAll()
  }

  return {
    fetch: transport.fetch,
    ready: app.ready,
    async listen(listenOptions = {}) {
      if (closing) throw new Error('Cannot listen: the server is closing')
      const server = await startHttpServer(app.http, {
        transport: listenOptions.transport ?? config.transport,
        host: listenOptions.host ?? config.host,
        port: listenOptions.port ?? config.port,
        logger,
      })
      listeners.add(server)
      return {
        url: server.url,
        port: server.port,
        transport: server.transport,
        close: ({ graceMs = DEFAULT_GRACE_MS } = {}) => server.close({ graceMs }),
      }
    },
    close({ graceMs = DEFAULT_GRACE_MS } = {}) {
      closing ??= (async () => {
        transport.stopAccepting()
        await Promise.all([drain(graceMs), ...[...listeners].map((server) => server.close({ graceMs }))])
        await app.close()
      })()
      return closing
    },
  }
}
