import type { HttpApp } from '../http/http-app.js'
import type { Logger } from '../http/logger.js'
import type { ListeningServer } from './listening-server.js'
import { startNodeServer } from './node.js'
import { serveRuntime, startRuntimeServer } from './runtime-serve.js'
import { loadUws, startUwsServer } from './uws.js'

/** Which HTTP library serves: uWebSockets.js, node:http, or uWS when it loads and node:http otherwise. */
export type TransportChoice = 'auto' | 'uws' | 'node'

/** Options of `startHttpServer()`. */
export type StartOptions = { transport: TransportChoice; host: string; port: number; logger: Logger }

/** A running server. */
export type HttpServer = {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string
  readonly port: number
  /** Deno and Bun serve through their own servers (Deno.serve, Bun.serve) unless a transport is forced. */
  readonly transport: 'uws' | 'node' | 'deno' | 'bun'
  /** Requests in flight. */
  readonly active: number
  /**
   * Stops accepting connections, waits up to `graceMs` (default 0) for requests in flight, then drops every
   * connection, so the process can exit.
   */
  close(options?: { graceMs?: number }): Promise<void>
}

function urlOf(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}

async function waitIdle(server: ListeningServer, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs
  while (server.active > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
}

/** Starts the app on the chosen transport; `auto` falls back to node:http with one log line saying why. */
export async function startHttpServer(app: HttpApp, options: StartOptions): Promise<HttpServer> {
  const { host, port, logger } = options
  let listening: ListeningServer
  let transport: HttpServer['transport']
  const runtime = serveRuntime()
  if (runtime !== null && options.transport === 'auto') {
    listening = await startRuntimeServer(app, runtime, { host, port })
    transport = runtime
  } else if (options.transport === 'node') {
    listening = await startNodeServer(app, { host, port, logger })
    transport = 'node'
  } else {
    const loaded = loadUws(logger)
    if (loaded.ok) {
      listening = await startUwsServer(app, loaded.uws, { host, port, logger })
      transport = 'uws'
    } else if (options.transport === 'uws') {
      throw new Error(`Cannot start the uWebSockets.js transport: ${loaded.reason}`)
    } else {
      logger.warn(`uWebSockets.js is not available (${loaded.reason}); serving with node:http`)
      listening = await startNodeServer(app, { host, port, logger })
      transport = 'node'
    }
  }
  let closing: Promise<void> | null = null
  return {
    url: urlOf(host, listening.port),
    port: listening.port,
    transport,
    get active() {
      return listening.active
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        listening.stopAccepting()
        await waitIdle(listening, closeOptions.graceMs ?? 0)
        listening.closeAll()
      })()
      return closing
    },
  }
}
