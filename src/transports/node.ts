import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { BodyStream, clientGone } from '../http/body-stream.js'
import { PayloadTooLargeError } from '../http/errors.js'
import type { HttpApp, HttpBodyResponse, HttpResponse } from '../http/http-app.js'
import type { Logger } from '../http/logger.js'
import type { ByteSink } from '../http/pump.js'
import { LazySignal, type IncomingRequest } from '../http/request.js'
import type { ListeningServer } from './listening-server.js'

function collectHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  const raw = req.headers
  for (const name in raw) {
    const value = raw[name]
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return headers
}

function sendBody(res: http.ServerResponse, response: HttpBodyResponse, close = false): void {
  // One writeHead with content-length: no setHeader bookkeeping per header
  // (the body is complete, so its length is exact: the same header end() would have set)
  const headers = response.headers
  headers['content-length'] = String(Buffer.byteLength(response.body))
  if (close) headers.connection = 'close'
  res.writeHead(response.status, headers)
  res.end(response.body)
}

/** One request as the app reads it; its abort signal is made only when read. */
class NodeRequest extends LazySignal implements IncomingRequest {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  body: Uint8Array | null = null
  stream: BodyStream | undefined = undefined
  readonly #req: http.IncomingMessage

  constructor(req: http.IncomingMessage) {
    super()
    this.method = (req.method ?? 'GET').toUpperCase()
    this.url = req.url ?? '/'
    this.headers = collectHeaders(req)
    this.#req = req
  }

  get remoteAddress(): string | undefined {
    return this.#req.socket.remoteAddress
  }
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

/** The body as a stream the handler reads as it arrives; the socket pauses while the handler's buffer is full. */
function streamBody(req: http.IncomingMessage, hasBody: boolean): BodyStream {
  const stream = new BodyStream()
  if (!hasBody) {
    stream.end()
    return stream
  }
  stream.onDrain = () => req.resume()
  req.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) req.pause()
  })
  req.on('end', () => stream.end())
  const gone = () => stream.fail(clientGone()) // no-op once the body ended
  req.on('error', gone)
  req.on('close', gone)
  return stream
}

function nodeSink(res: http.ServerResponse, request: NodeRequest): ByteSink {
  const signal = request.signal // streams wait on it for drain or abort
  return {
    get aborted() {
      return request.aborted
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

async function send(
  res: http.ServerResponse,
  response: HttpResponse,
  request: NodeRequest,
  close = false,
): Promise<void> {
  if ('body' in response) {
    if (!request.aborted) sendBody(res, response, close) // close: a streamed body the handler did not read to its end
    return
  }
  if (!request.aborted) {
    res.writeHead(response.status, response.headers)
    res.flushHeaders() // clients see the status before the first event, which may take a while
  }
  await response.pipe(nodeSink(res, request)) // an aborted sink makes pipe() just close and log the stream
}

/** Serves an HttpApp with node:http: whole-body reads under the cap, `drain` backpressure, `close` as abort. */
export function startNodeServer(
  app: HttpApp,
  options: { host: string; port: number; logger: Logger },
): Promise<ListeningServer> {
  let active = 0
  const serve = async (request: NodeRequest, req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      const { headers } = request
      const hasBody = headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined
      if (app.streamsBody(request)) {
        const stream = streamBody(req, hasBody)
        request.stream = stream
        return await send(res, await app.handle(request), request, !stream.complete)
      }
      if (hasBody) {
        request.body = await readBody(app, req, res, headers)
        if (request.body === null) return
      }
      await send(res, await app.handle(request), request)
    } catch (error) {
      options.logger.error('Node transport failed', { error })
      res.destroy()
    }
  }
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    active++
    const request = new NodeRequest(req)
    // A close before the reply finished means the client went away
    res.on('close', () => {
      active--
      if (!res.writableFinished) request.abort()
    })
    void serve(request, req, res) // serve() never rejects
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
