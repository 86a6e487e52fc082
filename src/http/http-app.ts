import { createApiKeyCheck } from './auth.js'
import { RequestContext } from './context.js'
import { corsHeaders, preflightHeaders } from './cors.js'
import { ApiError, InternalServerError } from './errors.js'
import { withHeartbeat } from './heartbeat.js'
import type { Logger } from './logger.js'
import { pump, pumpBytes, type ByteSink } from './pump.js'
import { BytesReply, JsonReply, SseReply, TextReply } from './reply.js'
import { createRequestIds } from './request-id.js'
import { pathOf, type IncomingRequest } from './request.js'
import type { Route, Router } from './router.js'
import type { SseEvent } from './sse.js'
import { withErrorEvent } from './stream-errors.js'

/** Options of `createHttpApp()`. */
export type HttpAppOptions = {
  router: Router
  /** When non-empty, every path starting with `/v1` needs `Authorization: Bearer <one of these>`. */
  apiKeys?: readonly string[]
  /** CORS is off unless an origin (or `*`) is given; with several, a request's Origin is echoed when listed. */
  corsOrigin?: string | readonly string[] | null
  maxBodyBytes: number
  logger: Logger
  /** Check every 2xx JSON reply against its route's `response` schema (tests turn this on). */
  validateReplies?: boolean
  /** Idle time before a `: ping` comment on SSE replies; 0 disables. Default 15 s. */
  heartbeatMs?: number
  /**
   * The one error hook: maps what a handler threw (or a stream's producer, after its status was sent) to an
   * ApiError; `route` is the matched route, null before routing. ApiErrors never reach it. Null means unexpected:
   * the error is logged with the request id and answered 500 `server_error` with a generic message, never a stack.
   */
  mapError?: (error: unknown, route: Route | null) => ApiError | null
  /** Called once per request as its reply ends (a stream: after its last byte), e.g. for metrics; must be cheap. */
  onRequestDone?: (done: RequestDone) => void
}

/** A finished request, as `onRequestDone` gets it. */
export type RequestDone = {
  method: string
  /** The matched route's pattern (`/v1/threads/:thread_id`); null when no route matched (404, 405, preflight). */
  route: string | null
  status: number
  durationMs: number
  /** Bytes of the reply body. */
  bytes: number
  requestId: string
}

/**
 * A complete reply: status, lower-case headers and the body as text (JSON, plain text), which both transports
 * encode while writing: no byte copy per reply (node:http joins a text body to the head it writes).
 */
export type HttpBodyResponse = { status: number; headers: Record<string, string>; body: string }

/** A streaming reply: the transport writes status and headers, then calls `pipe(sink)`. */
export type HttpStreamResponse = {
  status: number
  headers: Record<string, string>
  /** The events (with heartbeats), for in-process consumers; a transport uses `pipe()`. */
  events: AsyncIterable<SseEvent>
  /**
   * Streams the events into the sink with backpressure; never rejects; logs the request when done. Call it even
   * when the client is already gone (with an aborted sink), so the stream is closed and logged.
   */
  pipe(sink: ByteSink): Promise<void>
}

/** A reply of raw bytes streamed from chunks (file contents): the transport writes status and headers, then pipes. */
export type HttpBytesResponse = {
  status: number
  headers: Record<string, string>
  /** The bytes, for in-process consumers; a transport uses `pipe()`. */
  chunks: AsyncIterable<Uint8Array>
  /** As HttpStreamResponse.pipe(). */
  pipe(sink: ByteSink): Promise<void>
}

/** What `app.handle()` returns. */
export type HttpResponse = HttpBodyResponse | HttpStreamResponse | HttpBytesResponse

/** The method, target and headers of a request, which is all an early rejection needs. */
export type RequestHead = Pick<IncomingRequest, 'method' | 'url' | 'headers'>

/** The transport-neutral application: a request in, a reply out. */
export type HttpApp = {
  readonly maxBodyBytes: number
  readonly logger: Logger
  /** True when the request's route reads its body as a stream: the transport then passes `stream`, not `body`. */
  streamsBody(head: RequestHead): boolean
  /** Routes, authenticates, validates and runs one request; never rejects. */
  handle(request: IncomingRequest): Promise<HttpResponse>
  /** The reply a transport sends when it rejects a request itself (413 while reading the body). */
  reject(request: RequestHead, error: ApiError): HttpBodyResponse
}

const encoder = new TextEncoder()
const NOT_ASCII = /[^\x00-\x7f]/
const JSON_TYPE = 'application/json'
const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
}

/** Bytes of a text in UTF-8, encoding it only when it is not ASCII. */
function utf8Length(text: string): number {
  return NOT_ASCII.test(text) ? encoder.encode(text).byteLength : text.length
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** A sink that passes everything through and counts the bytes written (for the access log). */
function countingSink(sink: ByteSink): ByteSink & { readonly bytes: number } {
  let bytes = 0
  return {
    get aborted() {
      return sink.aborted
    },
    get bytes() {
      return bytes
    },
    write(chunk) {
      bytes += chunk.byteLength
      return sink.write(chunk)
    },
    drained: () => sink.drained(),
    end: () => sink.end(),
    destroy: () => sink.destroy(),
  }
}

/** Creates the application that transports (and tests, through `handle()`) drive. */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { router, logger, maxBodyBytes } = options
  const origins = typeof options.corsOrigin === 'string' ? [options.corsOrigin] : [...(options.corsOrigin ?? [])]
  const cors = origins.length > 0
  // the one origin a reply allows: '*', the configured one, or the request's own when it is on the list
  const allowedOrigin = (requested: string | undefined): string | null => {
    if (!cors) return null
    if (origins.includes('*')) return '*'
    if (origins.length === 1) return origins[0] ?? null
    return requested !== undefined && origins.includes(requested) ? requested : null
  }
  const corsByOrigin = new Map(origins.map((origin) => [origin, corsHeaders(origin)]))
  const checkKey = options.apiKeys && options.apiKeys.length > 0 ? createApiKeyCheck(options.apiKeys) : null
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const requestIds = createRequestIds()
  const mapError = options.mapError ?? (() => null)
  const onRequestDone = options.onRequestDone

  function accessLog(c: RequestContext, status: number, bytes: number, note: string): void {
    const { method, url } = c.incoming
    const durationMs = performance.now() - c.started
    logger.info(`${method} ${pathOf(url)} ${status} ${Math.round(durationMs)}ms ${bytes}B ${c.requestId}${note}`)
    onRequestDone?.({ method, route: c.route?.path ?? null, status, durationMs, bytes, requestId: c.requestId })
  }

  /** The ApiError a thrown value stands for; an unexpected one is logged with the request id and becomes a 500. */
  function apiErrorOf(error: unknown, c: RequestContext): ApiError {
    if (error instanceof ApiError) return error
    const mapped = mapError(error, c.route)
    if (mapped) return mapped
    logger.error('Unhandled error', { request_id: c.requestId, error })
    return new InternalServerError()
  }

  /** Reply headers in order of precedence (later wins): the reply's own, the handler's, the request id, CORS. */
  function headersOf(
    c: RequestContext,
    base: Readonly<Record<string, string>>,
    own: Readonly<Record<string, string>> | null,
    fromHandler: Record<string, string> | null,
  ): Record<string, string> {
    const headers: Record<string, string> = { ...base }
    if (own) Object.assign(headers, own)
    if (fromHandler) Object.assign(headers, fromHandler)
    headers['x-request-id'] = c.requestId
    if (c.origin) Object.assign(headers, corsByOrigin.get(c.origin) ?? corsHeaders(c.origin))
    return headers
  }

  function bodyReply(
    c: RequestContext,
    status: number,
    headers: Record<string, string>,
    text: string,
  ): HttpBodyResponse {
    headers['openai-processing-ms'] = String(Math.round(performance.now() - c.started))
    accessLog(c, status, utf8Length(text), c.incoming.aborted ? ' aborted' : '')
    return { status, headers, body: text }
  }

  function errorReply(c: RequestContext, error: unknown): HttpBodyResponse {
    const apiError = apiErrorOf(error, c)
    const headers = headersOf(c, { 'content-type': JSON_TYPE }, apiError.headers, null)
    return bodyReply(c, apiError.status, headers, JSON.stringify(apiError.toEnvelope()))
  }

  function streamReply(c: RequestContext, reply: SseReply): HttpStreamResponse {
    const { incoming, requestId } = c
    let note = ''
    const frame = reply.errorEvent
    const source = frame
      ? withErrorEvent(reply.events, frame, (error) => {
          note = ' error'
          return apiErrorOf(error, c)
        })
      : reply.events
    const events = withHeartbeat(source, heartbeatMs)
    const onAbort = () => reply.onDisconnect?.()
    if (reply.onDisconnect && incoming.aborted)
      queueMicrotask(onAbort) // gone while the handler ran
    else if (reply.onDisconnect) incoming.signal.addEventListener('abort', onAbort, { once: true })
    return {
      status: 200,
      headers: headersOf(c, SSE_HEADERS, reply.headers, c.replyHeaders),
      events,
      async pipe(sink) {
        const counting = countingSink(sink)
        try {
          await pump(events, counting)
        } catch (error) {
          note = ' failed'
          logger.error('Stream failed', { request_id: requestId, error })
        } finally {
          if (reply.onDisconnect) incoming.signal.removeEventListener('abort', onAbort)
          accessLog(c, 200, counting.bytes, sink.aborted ? ' aborted' : note)
        }
      },
    }
  }

  function bytesReply(c: RequestContext, reply: BytesReply): HttpBytesResponse {
    return {
      status: 200,
      headers: headersOf(c, { 'content-type': reply.contentType }, reply.headers, c.replyHeaders),
      chunks: reply.chunks,
      async pipe(sink) {
        const counting = countingSink(sink)
        let note = ''
        try {
          await pumpBytes(reply.chunks, counting)
        } catch (error) {
          note = ' failed'
          logger.error('Stream failed', { request_id: c.requestId, error })
        } finally {
          accessLog(c, 200, counting.bytes, sink.aborted ? ' aborted' : note)
        }
      },
    }
  }

  function toResponse(c: RequestContext, result: unknown): HttpResponse {
    if (result instanceof SseReply) return streamReply(c, result)
    if (result instanceof BytesReply) return bytesReply(c, result)
    if (result instanceof TextReply) {
      const headers = headersOf(c, { 'content-type': result.contentType }, result.headers, c.replyHeaders)
      return bodyReply(c, result.status, headers, result.text)
    }
    const reply = result instanceof JsonReply ? result : null
    const status = reply ? reply.status : 200
    const body = reply ? reply.body : result
    const route = c.route as Route
    if (body === undefined) throw new TypeError(`Handler of ${route.method} ${route.path} returned nothing`)
    if (options.validateReplies && status >= 200 && status < 300) {
      const problem = route.inspectReply(body)
      if (problem) {
        logger.error(`Reply of ${route.method} ${route.path} does not match its schema: ${problem.message}`, {
          request_id: c.requestId,
        })
        throw new InternalServerError(`Reply does not match the response schema: ${problem.message}`, {
          param: problem.param,
        })
      }
    }
    const headers = headersOf(c, { 'content-type': JSON_TYPE }, reply?.headers ?? null, c.replyHeaders)
    return bodyReply(c, status, headers, JSON.stringify(body))
  }

  /** Authenticates, routes, validates and calls the handler; what it returns, or a promise of it. */
  function dispatch(c: RequestContext): unknown {
    const { incoming } = c
    const path = pathOf(incoming.url)
    if (checkKey && path.startsWith('/v1') && incoming.method !== 'OPTIONS') checkKey(incoming.headers.authorization)
    const match = router.match(incoming.method, path)
    if (match.kind === 'not-found') throw new ApiError(404, `Invalid URL (${incoming.method} ${path})`)
    if (match.kind === 'wrong-method') {
      throw new ApiError(405, `Invalid method for URL (${incoming.method} ${path})`, {
        headers: { allow: match.allow.join(', ') },
        shouldRetry: false,
      })
    }
    const input = match.route.validate(c.routed(match.route, path, match.params))
    c.params = input.params
    c.query = input.query
    c.body = input.body
    return match.route.handler(c)
  }

  function preflight(c: RequestContext, origin: string): HttpBodyResponse {
    const requested = c.incoming.headers['access-control-request-headers']
    const headers = headersOf(c, preflightHeaders(origin, requested), null, null)
    headers['openai-processing-ms'] = '0'
    accessLog(c, 204, 0, '')
    return { status: 204, headers, body: '' }
  }

  return {
    maxBodyBytes,
    logger,
    streamsBody: (head) => router.streamsBody(head.method, pathOf(head.url)),
    async handle(incoming) {
      const headers = incoming.headers
      const c = new RequestContext(
        incoming,
        requestIds(headers['x-request-id']),
        allowedOrigin(headers.origin),
        performance.now(),
      )
      if (c.origin && incoming.method === 'OPTIONS') return preflight(c, c.origin)
      try {
        let result = dispatch(c)
        if (isThenable(result)) result = await result
        return toResponse(c, result)
      } catch (error) {
        return errorReply(c, error)
      }
    },
    reject(head, error) {
      const incoming: IncomingRequest = {
        ...head,
        body: null,
        aborted: false,
        get signal() {
          return new AbortController().signal
        },
      }
      const c = new RequestContext(
        incoming,
        requestIds(head.headers['x-request-id']),
        allowedOrigin(head.headers.origin),
        performance.now(),
      )
      return errorReply(c, error)
    },
  }
}
