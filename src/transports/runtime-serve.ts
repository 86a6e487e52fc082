import type { HttpApp } from '../http/http-app.js'
import { createFetchTransport } from './fetch.js'
import type { ListeningServer } from './listening-server.js'

/** A runtime with its own HTTP server that takes a fetch handler. */
export type ServeRuntime = 'deno' | 'bun'

// The parts of Deno.serve and Bun.serve (their public docs) used here, typed so that this compiles under Node
type FetchHandler = (request: Request, server?: unknown) => Promise<Response>
type DenoServer = { readonly addr: { port: number }; shutdown(): Promise<void> }
type DenoServe = (
  options: { hostname: string; port: number; onListen: () => void },
  handler: FetchHandler,
) => DenoServer
type BunServer = { readonly port: number; stop(closeActiveConnections?: boolean): unknown }
type BunServe = (options: { hostname: string; port: number; idleTimeout: number; fetch: FetchHandler }) => BunServer
type Runtimes = { Deno?: { serve?: DenoServe }; Bun?: { serve?: BunServe } }

/** The runtime whose own server should serve, or null under Node. */
export function serveRuntime(): ServeRuntime | null {
  const runtimes = globalThis as Runtimes
  if (typeof runtimes.Deno?.serve === 'function') return 'deno'
  if (typeof runtimes.Bun?.serve === 'function') return 'bun'
  return null
}

/** Serves an HttpApp with Deno.serve or Bun.serve through the fetch transport. */
export async function startRuntimeServer(
  app: HttpApp,
  runtime: ServeRuntime,
  options: { host: string; port: number },
): Promise<ListeningServer> {
  const transport = createFetchTransport(app)
  const runtimes = globalThis as Runtimes
  if (runtime === 'deno') {
    const serve = runtimes.Deno?.serve
    if (!serve) throw new Error('Cannot start Deno.serve: this is not Deno')
    // onListen replaces Deno's own "Listening on" line; ours names the transport
    const server = serve({ hostname: options.host, port: options.port, onListen: () => undefined }, transport.fetch)
    return {
      port: server.addr.port,
      get active() {
        return transport.active
      },
      stopAccepting() {
        transport.stopAccepting()
        // graceful: stops listening and closes idle connections; resolves once every reply is done
        server.shutdown().catch((error: unknown) => app.logger.debug('Deno.serve shutdown failed', { error }))
      },
      closeAll: () => transport.closeAll(),
    }
  }
  const serve = runtimes.Bun?.serve
  if (!serve) throw new Error('Cannot start Bun.serve: this is not Bun')
  // idleTimeout 0: Bun ends a response idle for 10 s by default, and a prompt may take longer
  const server = serve({ hostname: options.host, port: options.port, idleTimeout: 0, fetch: transport.fetch })
  return {
    port: server.port,
    get active() {
      return transport.active
    },
    stopAccepting() {
      transport.stopAccepting()
      Promise.resolve(server.stop(false)).catch((error: unknown) =>
        app.logger.debug('Bun.serve stop failed', { error }),
      )
    },
    closeAll() {
      transport.closeAll()
      Promise.resolve(server.stop(true)).catch((error: unknown) => app.logger.debug('Bun.serve stop failed', { error }))
    },
  }
}
