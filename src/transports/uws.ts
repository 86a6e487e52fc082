import { createRequire } from 'node:module'
import { BodyStream, clientGone } from '../http/body-stream.js'
import { PayloadTooLargeError } from '../http/errors.js'
import type { HttpApp, HttpBodyResponse, HttpResponse } from '../http/http-app.js'
import type { Logger } from '../http/logger.js'
import type { ByteSink } from '../http/pump.js'
import { LazySignal, type IncomingRequest } from '../http/request.js'
import type { ListeningServer } from './listening-server.js'

// The subset of uWebSockets.js (docs/index.d.ts) this file uses, typed here so that it also compiles where
// the optional package is absent
type UwsResponse = {
  writeStatus(status: string): UwsResponse
  writeHeader(key: string, value: string): UwsResponse
  write(chunk: Uint8Array | string): boolean
  end(body?: Uint8Array | string, closeConnection?: boolean): UwsResponse
  close(): UwsResponse
  cork(cb: () => void): UwsResponse
  onWritable(handler: (offset: number) => boolean): UwsResponse
  onAborted(handler: () => void): UwsResponse
  getRemoteAddressAsText(): ArrayBuffer
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): UwsResponse
  pause(): void
  resume(): void
}
type UwsRequest = {
  getUrl(): string
  getMethod(): string
  getCaseSensitiveMethod?(): string
  getQuery(): string | undefined
  forEach(cb: (key: string, value: string) => void): void
}
type UwsApp = {
  any(pattern: string, handler: (res: UwsResponse, req: UwsRequest) => void): UwsApp
  listen(host: string, port: number, options: number, cb: (listenSocket: unknown) => void): UwsApp
  close?(): UwsApp
}
/** The uWebSockets.js module as loaded by `loadUws()`. */
export type UwsModule = {
  App(): UwsApp
  us_listen_socket_close(listenSocket: unknown): void
  us_socket_local_port(socket: unknown): number
}

/** Either the loaded module and the package it came from, or why it could not load. */
export type UwsLoad = { ok: true; uws: UwsModule; from: string } | { ok: false; reason: string }

const PACKAGES = ['uWebSockets.js', 'uwebsockets']
const textDecoder = new TextDecoder()
// ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT in uWebSockets.js's index.d.ts
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1

/** Loads uWebSockets.js: the upstream package if installed, else the pinned `uwebsockets` distribution. */
export function loadUws(logger: Logger): UwsLoad {
  // A CommonJS bundle has `require`; ESM gets one from createRequire
  const load = typeof require === 'function' ? require : createRequire(import.meta.url)
  const reasons: string[] = []
  for (const name of PACKAGES) {
    try {
      const uws = load(name) as UwsModule
      if (typeof uws.App !== 'function') throw new Error('it has no App()')
      logger.debug(`Loaded uWebSockets.js from '${name}'`)
      return { ok: true, uws, from: name }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      reasons.push(`${name}: ${message.split('\n').find((line) => line.trim() !== '') ?? message}`)
    }
  }
  return { ok: false, reason: reasons.join('; ') }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

// Status lines made once, not per reply
const STATUS_LINES = new Map(Object.entries(STATUS_TEXT).map(([code, text]) => [Number(code), `${code} ${text}`]))

function writeHead(res: UwsResponse, status: number, headers: Record<string, string>): void {
  res.writeStatus(STATUS_LINES.get(status) ?? `${status} Status`)
  for (const name in headers) res.writeHeader(name, headers[name] as string)
}

/**
 * One request and its response: the copied request the app reads (with its abort signal made only when read) and
 * the transport's own state. `aborted` turns true in onAborted; after that, or after `end()`, `res` is not touched.
 */
class Exchange extends LazySignal implements IncomingRequest {
  readonly res: UwsResponse
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  body: Uint8Array | null = null
  stream: BodyStream | undefined = undefined
  finished = false
  wake: (() => void) | null = null
  readonly #open: Set<Exchange>
  #address: string | undefined = undefined

  constructor(res: UwsResponse, req: UwsRequest, open: Set<Exchange>) {
    super()
    this.res = res
    // HttpRequest is stack-allocated and dies at the first await: copy everything now
    this.method = (req.getCaseSensitiveMethod?.() ?? req.getMethod()).toUpperCase()
    const query = req.getQuery()
    this.url = query ? `${req.getUrl()}?${query}` : req.getUrl()
    this.headers = copyHeaders(req)
    this.#open = open
    open.add(this)
  }

  /** The client's address, read from the socket on first use (keyless rate limits); unknown once `res` is done. */
  get remoteAddress(): string | undefined {
    if (this.#address === undefined && !this.finished && !this.aborted)
      this.#address = textDecoder.decode(this.res.getRemoteAddressAsText())
    return this.#address
  }

  /** The reply is complete (or refused): the server no longer counts it as open. */
  finish(): void {
    this.finished = true
    this.#open.delete(this)
  }

  /** The client went away. */
  gone(): void {
    this.#open.delete(this)
    this.abort()
    this.stream?.fail(clientGone()) // no-op once the body ended
    this.wake?.()
  }
}

function uwsSink(x: Exchange): ByteSink {
  return {
    get aborted() {
      return x.aborted
    },
    write(chunk) {
      let ok = true
      if (!x.aborted)
        x.res.cork(() => {
          ok = x.res.write(chunk)
        })
      return ok
    },
    drained: () =>
      new Promise<void>((resolve) => {
        if (x.aborted) return resolve()
        x.wake = () => {
          x.wake = null
          resolve()
        } // onAborted calls wake() too
        x.res.onWritable(() => {
          x.wake?.()
          return true
        })
      }),
    end() {
      if (!x.aborted) x.res.cork(() => x.res.end())
      x.finish()
    },
    destroy() {
      if (!x.aborted) x.res.close() // runs onAborted
    },
  }
}

async function send(x: Exchange, response: HttpResponse): Promise<void> {
  if ('body' in response) {
    // one cork: status, headers and body leave in one write; a streamed body the handler did not read to its end
    // closes the connection
    const close = x.stream !== undefined && !x.stream.complete
    if (!x.aborted)
      x.res.cork(() => {
        writeHead(x.res, response.status, response.headers)
        x.res.end(response.body, close)
      })
    return x.finish()
  }
  // An empty write sends status and headers now: the first event may be a while
  if (!x.aborted)
    x.res.cork(() => {
      writeHead(x.res, response.status, response.headers)
      x.res.write('')
    })
  await response.pipe(uwsSink(x)) // an aborted sink makes pipe() just close and log the stream
}

/** Hands the body to the app as it arrives, pausing the socket while the handler's buffer is full. */
function streamBody(x: Exchange, serve: () => void): void {
  const stream = new BodyStream()
  x.stream = stream
  stream.onDrain = () => {
    if (!x.aborted && !x.finished) x.res.resume()
  }
  if (x.headers['content-length'] === undefined && x.headers['transfer-encoding'] === undefined) stream.end()
  else
    x.res.onData((chunk, isLast) => {
      if (x.aborted) return
      if (!stream.push(new Uint8Array(chunk.slice(0)))) x.res.pause() // uWS neuters the buffer: copy it
      if (isLast) stream.end()
    })
  serve()
}

function copyHeaders(req: UwsRequest): Record<string, string> {
  const headers: Record<string, string> = {}
  req.forEach((name, value) => {
    const seen = headers[name]
    headers[name] = seen === undefined ? value : `${seen}, ${value}`
  })
  return headers
}

/** Serves an HttpApp with uWebSockets.js, following its examples: copy the request at once, onAborted first, cork every write. */
export function startUwsServer(
  app: HttpApp,
  uws: UwsModule,
  options: { host: string; port: number; logger: Logger },
): Promise<ListeningServer> {
  const open = new Set<Exchange>()
  const serve = async (x: Exchange) => {
    try {
      await send(x, await app.handle(x))
    } catch (error) {
      options.logger.error('uWS transport failed', { error })
      if (!x.aborted && !x.finished) x.res.close()
    }
  }
  const tooLarge = (x: Exchange) => {
    const reply: HttpBodyResponse = app.reject(x, new PayloadTooLargeError(app.maxBodyBytes))
    x.res.cork(() => {
      writeHead(x.res, reply.status, reply.headers)
      x.res.end(reply.body, true)
    })
    x.finish()
  }
  const server = uws.App().any('/*', (res, req) => {
    const x = new Exchange(res, req, open)
    res.onAborted(() => x.gone())
    const { headers } = x
    const length = headers['content-length']
    if (app.streamsBody(x)) return streamBody(x, () => void serve(x))
    if (length !== undefined && Number(length) > app.maxBodyBytes) return tooLarge(x)
    if (length === undefined && headers['transfer-encoding'] === undefined) return void serve(x) // serve() never rejects
    const chunks: Uint8Array[] = []
    let size = 0
    res.onData((chunk, isLast) => {
      if (x.finished || x.aborted) return
      size += chunk.byteLength
      if (size > app.maxBodyBytes) return tooLarge(x)
      chunks.push(new Uint8Array(chunk.slice(0))) // uWS neuters the buffer when this callback returns
      if (isLast) {
        x.body = concat(chunks, size)
        void serve(x)
      }
    })
  })
  return new Promise((resolve, reject) => {
    // Exclusive: without it uWS sets SO_REUSEPORT and a second server on a port in use shares it instead of failing
    server.listen(options.host, options.port, LIBUS_LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
      if (!listenSocket)
        return reject(
          new Error(
            `Cannot listen on ${options.host}:${options.port}: the port is in use or the address is not available`,
          ),
        )
      resolve({
        port: uws.us_socket_local_port(listenSocket),
        get active() {
          return open.size
        },
        stopAccepting: () => uws.us_listen_socket_close(listenSocket),
        closeAll: () => {
          if (server.close) server.close()
          else for (const x of [...open]) if (!x.aborted) x.res.close()
        },
      })
    })
  })
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0]
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
