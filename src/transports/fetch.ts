import { BodyStream, clientGone } from '../http/body-stream.js'
import { PayloadTooLargeError, ServiceUnavailableError } from '../http/errors.js'
import type { HttpApp, HttpBodyResponse, HttpBytesResponse, HttpStreamResponse, RequestHead } from '../http/http-app.js'
import type { ByteSink } from '../http/pump.js'

/** A standard fetch handler over an HttpApp, with what a server needs to stop it. */
export type FetchTransport = {
  /** Answers one request; never rejects. The second argument is Bun's server when Bun.serve calls it. */
  fetch(request: Request, server?: unknown): Promise<Response>
  /** Requests being read, handled or streamed right now. */
  readonly active: number
  /** Answers every later request 503, so that a stopping server drains. */
  stopAccepting(): void
  /** Aborts every request in flight: their engine work stops and their streams end cut short. */
  closeAll(): void
}

// Bytes of SSE a response stream holds before the pump waits for the client to read: a few events
const STREAM_BUFFER_BYTES = 16 * 1024
const NO_BODY_STATUS = new Set([101, 204, 205, 304])
// closeAll()'s abort reason: the stream ends cut short, as a dropped connection would on the other transports
const CUT = new Error('The server stopped before the reply was complete')

/** Creates the fetch transport: Request in, Response out, SSE as a pull stream, `request.signal` as abort. */
export function createFetchTransport(app: HttpApp): FetchTransport {
  const inFlight = new Set<AbortController>()
  let accepting = true

  async function fetch(request: Request, server?: unknown): Promise<Response> {
    const url = new URL(request.url)
    const head: RequestHead = {
      method: request.method.toUpperCase(),
      url: url.pathname + url.search,
      headers: collectHeaders(request.headers),
    }
    if (!accepting) {
      return bodyResponse(
        app.reject(head, new ServiceUnavailableError('The server is stopping', { retryAfterMs: 1000 })),
      )
    }
    noIdleTimeout(server, request)
    const controller = new AbortController()
    const onAbort = () => controller.abort()
    request.signal.addEventListener('abort', onAbort, { once: true })
    if (request.signal.aborted) controller.abort()
    inFlight.add(controller)
    const done = () => {
      inFlight.delete(controller)
      request.signal.removeEventListener('abort', onAbort)
    }
    try {
      const streamed = app.streamsBody(head) ? streamBody(request, controller.signal) : null
      const body = streamed ? null : await readBody(request, head.headers, app.maxBodyBytes)
      if (body === TOO_LARGE) {
        done()
        return bodyResponse(app.reject(head, new PayloadTooLargeError(app.maxBodyBytes)))
      }
      // `aborted` too: the reworked core (issue 12) reads it before it makes a signal
      const incoming = {
        ...head,
        body: body as Uint8Array | null,
        stream: streamed ?? undefined,
        signal: controller.signal,
        get aborted() {
          return controller.signal.aborted
        },
        get remoteAddress() {
          return remoteAddressOf(server, request)
        },
      }
      const response = await app.handle(incoming)
      if ('body' in response) {
        done()
        return bodyResponse(response)
      }
      return streamResponse(response, controller, done)
    } catch (error) {
      done()
      // a client that left while its body was read is no failure of ours
      if (!controller.signal.aborted) app.logger.error('Fetch transport failed', { error })
      return new Response(null, { status: 500 })
    }
  }

  return {
    fetch,
    get active() {
      return inFlight.size
    },
    stopAccepting() {
      accepting = false
    },
    closeAll() {
      for (const controller of inFlight) controller.abort(CUT)
    },
  }
}

/** The body as a stream the handler reads as it arrives: chunks are pulled from the request only while it has room. */
function streamBody(request: Request, signal: AbortSignal): BodyStream {
  const stream = new BodyStream()
  const source = request.body
  if (!source) {
    stream.end()
    return stream
  }
  const reader = source.getReader()
  let resume: (() => void) | null = null
  stream.onDrain = () => {
    resume?.()
    resume = null
  }
  signal.addEventListener('abort', () => stream.fail(clientGone()), { once: true })
  const feed = async () => {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      if (!stream.push(next.value)) await new Promise<void>((resolve) => (resume = resolve))
    }
    stream.end()
  }
  feed().catch(() => stream.fail(clientGone()))
  return stream
}

function collectHeaders(headers: Headers): Record<string, string> {
  const collected: Record<string, string> = {}
  // Headers yields lower-case names, repeated ones already joined with ', '
  headers.forEach((value, name) => {
    collected[name] = value
  })
  return collected
}

// Bun.serve ends a response idle for 10 s unless told otherwise; a prompt can take longer than that
/** The client's address: Deno passes `{ remoteAddr }` as the handler's second argument, Bun its server. */
function remoteAddressOf(server: unknown, request: Request): string | undefined {
  const info = server as {
    remoteAddr?: { hostname?: unknown }
    requestIP?: (request: Request) => { address?: unknown } | null
  } | null
  const address = typeof info?.requestIP === 'function' ? info.requestIP(request)?.address : info?.remoteAddr?.hostname
  return typeof address === 'string' ? address : undefined
}

function noIdleTimeout(server: unknown, request: Request): void {
  const timeout = (server as { timeout?: unknown } | null | undefined)?.timeout
  if (typeof timeout === 'function') timeout.call(server, request, 0)
}

const TOO_LARGE = Symbol('too large')

/** Reads the whole body within the cap; null when the request had no body framing at all. */
async function readBody(
  request: Request,
  headers: Record<string, string>,
  limit: number,
): Promise<Uint8Array | null | typeof TOO_LARGE> {
  const declared = headers['content-length']
  if (declared !== undefined && Number(declared) > limit) {
    request.body?.cancel().catch(() => undefined)
    return TOO_LARGE
  }
  if (request.body === null) {
    return declared !== undefined || headers['transfer-encoding'] !== undefined ? new Uint8Array(0) : null
  }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.byteLength
    if (size > limit) {
      reader.cancel().catch(() => undefined)
      return TOO_LARGE
    }
    chunks.push(next.value)
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0]
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

function bodyResponse(response: HttpBodyResponse): Response {
  const body = NO_BODY_STATUS.has(response.status) ? null : (response.body as BodyInit)
  return new Response(body, { status: response.status, headers: response.headers })
}

/**
 * The reply's events as a ReadableStream the server pulls: the pump writes until the stream's buffer is full, then
 * waits for the next pull. The stream's cancel (the client left) aborts the request, which stops engine work.
 */
function streamResponse(
  response: HttpStreamResponse | HttpBytesResponse,
  controller: AbortController,
  done: () => void,
): Response {
  const { signal } = controller
  let stream!: ReadableStreamDefaultController<Uint8Array>
  let wake: (() => void) | null = null
  let closed = false
  const wakeUp = () => {
    wake?.()
    wake = null
  }
  const finish = (how: 'close' | 'error') => {
    if (closed) return
    closed = true
    try {
      if (how === 'close') stream.close()
      else stream.error(CUT)
    } catch {
      // the consumer cancelled the stream already
    }
  }
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        stream = c
      },
      pull: wakeUp,
      cancel() {
        closed = true
        controller.abort()
      },
    },
    { highWaterMark: STREAM_BUFFER_BYTES, size: (chunk) => chunk.byteLength },
  )
  // aborted: wake a waiting pump; closeAll() cuts the stream, a client that left needs no error logged for it
  signal.addEventListener(
    'abort',
    () => {
      wakeUp()
      finish(signal.reason === CUT ? 'error' : 'close')
    },
    { once: true },
  )
  const sink: ByteSink = {
    get aborted() {
      return signal.aborted
    },
    write(chunk) {
      if (closed) return true
      stream.enqueue(chunk)
      return (stream.desiredSize ?? 0) > 0
    },
    drained: () =>
      signal.aborted || closed || (stream.desiredSize ?? 0) > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            wake = resolve
          }),
    end: () => finish('close'),
    destroy: () => finish('error'),
  }
  // pipe() never rejects; it logs the request when the stream ends
  response.pipe(sink).then(done, done)
  return new Response(body, { status: response.status, headers: response.headers })
}
