import { createRequire } from 'node:module'
import { PayloadTooLargeError } from '../http/errors.js'
import type { HttpApp, HttpBodyResponse, HttpResponse } from '../http/http-app.js'
import type { Logger } from '../http/logger.js'
import type { ByteSink } from '../http/pump.js'
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
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): UwsResponse
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

function writeHead(res: UwsResponse, status: number, headers: Record<string, string>): void {
  res.writeStatus(`${status} ${STATUS_TEXT[status] ?? 'Status'}`)
  for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value)
}

type Exchange = {
  res: UwsResponse
  aborted: boolean
  finished: boolean
  wake: (() => void) | null
  controller: AbortController
}

function uwsSink(x: Exchange, finish: () => void): ByteSink {
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
      finish()
    },
    destroy() {
      if (!x.aborted) x.res.close() // runs onAborted
    },
  }
}

async function send(x: Exchange, response: HttpResponse, finish: () => void): Promise<void> {
  if ('body' in response) {
    if (!x.aborted)
      x.res.cork(() => {
        writeHead(x.res, response.status, response.headers)
        x.res.end(response.body)
      })
    return finish()
  }
  // An empty write sends status and headers now: the first event may be a while
  if (!x.aborted)
    x.res.cork(() => {
      writeHead(x.res, response.status, response.headers)
      x.res.write('')
    })
  await response.pipe(uwsSink(x, finish)) // an aborted sink makes pipe() just close and log the stream
}

/** Serves an HttpApp with uWebSockets.js, following its examples: copy the request at once, onAborted first, cork every write. */
export function startUwsServer(
  app: HttpApp,
  uws: UwsModule,
  options: { host: string; port: number; logger: Logger },
): Promise<ListeningServer> {
  const open = new Set<Exchange>()
  const server = uws.App().any('/*', (res, req) => {
    const x: Exchange = { res, aborted: false, finished: false, wake: null, controller: new AbortController() }
    open.add(x)
    const finish = () => {
      x.finished = true
      open.delete(x)
    }
    res.onAborted(() => {
      x.aborted = true
      open.delete(x)
      x.controller.abort()
      x.wake?.()
    })
    // HttpRequest is stack-allocated and dies at the first await: copy everything now
    const method = (req.getCaseSensitiveMethod?.() ?? req.getMethod()).toUpperCase()
    const query = req.getQuery()
    const url = query ? `${req.getUrl()}?${query}` : req.getUrl()
    const headers: Record<string, string> = {}
    req.forEach((name, value) => {
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
    })
    const head = { method, url, headers }
    const tooLarge = () => {
      const reply: HttpBodyResponse = app.reject(head, new PayloadTooLargeError(app.maxBodyBytes))
      x.res.cork(() => {
        writeHead(x.res, reply.status, reply.headers)
        x.res.end(reply.body, true)
      })
      finish()
    }
    const dispatch = (body: Uint8Array | null) => {
      app
        .handle({ ...head, body, signal: x.controller.signal })
        .then((response) => send(x, response, finish))
        .catch((error: unknown) => {
          options.logger.error('uWS transport failed', { error })
          if (!x.aborted && !x.finished) x.res.close()
        })
    }
    if (Number(headers['content-length'] ?? '0') > app.maxBodyBytes) return tooLarge()
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) return dispatch(null)
    const chunks: Uint8Array[] = []
    let size = 0
    res.onData((chunk, isLast) => {
      if (x.finished || x.aborted) return
      size += chunk.byteLength
      if (size > app.maxBodyBytes) return tooLarge()
      chunks.push(new Uint8Array(chunk.slice(0))) // uWS neuters the buffer when this callback returns
      if (isLast) dispatch(concat(chunks, size))
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
