import { ServiceUnavailableError, type ApiError } from './errors.js'
import type { HttpApp, HttpBodyResponse, RequestHead } from './http-app.js'
import type { Logger } from './logger.js'

/** What `createGate()` returns: the app to listen with, and the switches main.ts flips. */
export type Gate = {
  /** The HttpApp a transport serves. */
  readonly http: HttpApp
  /** From now on every request goes to `app`. */
  open(app: HttpApp): void
  /** The server is stopping: /health answers 503 `stopping`; every other request still goes to the app. */
  stopping(): void
}

function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): HttpBodyResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  }
}

function isHealth(url: string): boolean {
  return url === '/health' || url.startsWith('/health?')
}

/**
 * Lets the server listen before the app exists, so that a port in use fails before anything loads: until `open()`
 * every request gets 503 (retry shortly) and /health `{"status":"loading"}`; once stopping, /health turns 503 so
 * that a load balancer sends no more work while requests in flight finish.
 */
export function createGate(options: { logger: Logger; maxBodyBytes: number }): Gate {
  let app: HttpApp | null = null
  let stopping = false
  const starting = new ServiceUnavailableError('The server is starting; try again shortly', {
    retryAfterMs: 1000,
    code: 'model_loading',
  })
  const refuse = (error: ApiError): HttpBodyResponse => jsonReply(error.status, error.toEnvelope(), error.headers)
  const http: HttpApp = {
    get maxBodyBytes() {
      return app?.maxBodyBytes ?? options.maxBodyBytes
    },
    get logger() {
      return app?.logger ?? options.logger
    },
    handle(request) {
      if (stopping && isHealth(request.url)) return Promise.resolve(jsonReply(503, { status: 'stopping' }))
      if (app) return app.handle(request)
      return Promise.resolve(isHealth(request.url) ? jsonReply(503, { status: 'loading' }) : refuse(starting))
    },
    // before the app exists no route takes a streamed body: the request is read whole and refused with 503
    streamsBody(head: RequestHead) {
      return app?.streamsBody(head) ?? false
    },
    reject(request: RequestHead, error) {
      return app ? app.reject(request, error) : refuse(error)
    },
  }
  return {
    http,
    open(target) {
      app = target
    },
    stopping() {
      stopping = true
    },
  }
}
