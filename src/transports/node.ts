import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { PayloadTooLargeError } from '../http/errors.js'
import type { HttpApp, HttpBodyResponse, HttpResponse } from '../http/http-app.js'
import type { Logger } from '../http/logger.js'
import type { ByteSink } from '../http/pump.js'
import type { IncomingRequest } from '../http/request.js'
import type { ListeningServer } from './listening-server.js'

function collectHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

function sendBody(res: http.ServerResponse, response: HttpBodyResponse, close = false): void {
  // statusCode + setHeader (not writeHead) so that end() can still set content-length itself
  res.statusCode = response.status
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  if (close) res.setHeader('connection', 'close')
  res.end(response.body)
}

/** Reads the whole body within the cap; null when a 413 was sent instead. */
function readBody(
  app: HttpApp,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  head: IncomingRequest['headers'],
): Promise<Uint8Array | null> {
  const limit = app.maxBodyBytes
  const tooLarge = () => {
    sendBody(
      res,
      app.reject({ method: req.method ?? 'GET', url: req.url ?? '/', headers: head }, new PayloadTooLargeError(limit)),
      true,
    )
    req.resume() // drain what is in flight so the 413 is read before the connection closes
  }
  const declared = Number(head['content-length'] ?? '0')
  if (declared > limit) {
    tooLarge()
    return Promise.resolve(null)
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.byteLength
      if (size > limit) {
        done = true
        tooLarge()
        resolve(null)
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (!done) {
        done = true
        resolve(new Uint8Array(Buffer.concat(chunks)))
      }
    })
    const gone = () => {
      if (!done) {
        done = true
        resolve(null)
      }
    }
    req.on('error', gone)
    req.on('close', gone) // the client left before the body was complete
  })
}

function nodeSink(res: http.ServerResponse, signal: AbortSignal): ByteSink {
  return {
    get aborted() {
      return signal.aborted
    },
    write: (chunk) => res.write(chunk),
    drained: () =>
      new Promise<void>((resolve) => {
        if (signal.aborted || !res.writableNeedDrain) return resolve()
        const wake = () => {
          res.off('drain', wake)
          signal.removeEventListener('abort', wake)
          resolve()
        }
        res.on('drain', wake)
        signal.addEventListener('abort', wake)
      }),
    end: () => res.end(),
    destroy: () => res.destroy(),
  }
}

async function send(res: http.ServerResponse, response: HttpResponse, signal: AbortSignal): Promise<void> {
  if ('body' in response) {
    if (!signal.aborted) sendBody(res, response)
    return
  }
  if (!signal.aborted) {
    res.writeHead(response.status, response.headers)
    res.flushHeaders() // clients see the status before the first event, which may take a while
  }
  await response.pipe(nodeSink(res, signal)) // an aborted sink makes pipe() just close and log the stream
}

/** Serves an HttpApp with node:http: whole-body reads under the cap, `drain` backpressure, `close` as abort. */
export function startNodeServer(
  app: HttpApp,
  options: { host: string; port: number; logger: Logger },
): Promise<ListeningServer> {
  let active = 0
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    active++
    const controller = new AbortController()
    // A close before the reply finished means the client went away
    res.on('close', () => {
      active--
      if (!res.writableFinished) controller.abort()
    })
    const headers = collectHeaders(req)
    const hasBody = headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined
    const handle = async () => {
      const body = hasBody ? await readBody(app, req, res, headers) : null
      if (hasBody && body === null) return
      const request: IncomingRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        url: req.url ?? '/',
        headers,
        body,
        signal: controller.signal,
      }
      await send(res, await app.handle(request), controller.signal)
    }
    handle().catch((error: unknown) => {
      options.logger.error('Node transport failed', { error })
      res.destroy()
    })
  })
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    options.logger.debug('Bad HTTP request', { error })
  })
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Cannot listen on ${options.host}:${options.port}: the port is in use`, { cause: error })
          : error,
      ),
    )
    server.listen({ port: options.port, host: options.host, exclusive: true }, () => {
      server.removeAllListeners('error')
      resolve({
        port: (server.address() as AddressInfo).port,
        get active() {
          return active
        },
        stopAccepting: () => {
          server.close()
          server.closeIdleConnections()
        },
        closeAll: () => server.closeAllConnections(),
      })
    })
  })
}
