import { createApiKeyCheck, pickRequestId } from './auth.js'
import { corsHeaders, preflightHeaders } from './cors.js'
import { ApiError, InternalServerError } from './errors.js'
import { withHeartbeat } from './heartbeat.js'
import type { Logger } from './logger.js'
import { pump, pumpBytes, type ByteSink } from './pump.js'
import { BytesReply, JsonReply, SseReply, TextReply } from './reply.js'
import { splitTarget, type HttpRequest, type IncomingRequest } from './request.js'
import type { RawContext, Route, Router } from './router.js'
import type { SseEvent } from './sse.js'

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
}

/** A complete reply: status, lower-case headers and body bytes. */
export type HttpBodyResponse = { status: number; headers: Record<string, string>; body: Uint8Array }

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
const JSON_TYPE = 'application/json'

function bodyResponse(
  status: number,
  headers: Record<string, string>,
  body: string,
  contentType = JSON_TYPE,
): HttpBodyResponse {
  return { status, headers: { 'content-type': contentType, ...headers }, body: encoder.encode(body) }
}

function checkHeader(name: string, value: string): void {
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || /[\r\n\0]/.test(value))
    throw new TypeError(`Cannot set reply header '${name}': invalid name or value`)
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
  const checkKey = options.apiKeys && options.apiKeys.length > 0 ? createApiKeyCheck(options.apiKeys) : null
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const baseHeaders = (requestId: string, origin: string | null): Record<string, string> => ({
    'x-request-id': requestId,
    ...(origin ? corsHeaders(origin) : {}),
  })

  function accessLog(
    head: RequestHead,
    status: number,
    started: number,
    bytes: number,
    requestId: string,
    note = '',
  ): void {
    const path = splitTarget(head.url).path
    logger.info(
      `${head.method} ${path} ${status} ${Math.round(performance.now() - started)}ms ${bytes}B ${requestId}${note}`,
    )
  }

  function errorResponse(error: unknown, requestId: string, origin: string | null): HttpBodyResponse {
    let apiError: ApiError
    if (error instanceof ApiError) {
      apiError = error
    } else {
      logger.error('Unhandled error', { request_id: requestId, error })
      apiError = new InternalServerError()
    }
    return bodyResponse(
      apiError.status,
      { ...apiError.headers, ...baseHeaders(requestId, origin) },
      JSON.stringify(apiError.toEnvelope()),
    )
  }

  function streamResponse(
    reply: SseReply,
    head: IncomingRequest,
    headers: Record<string, string>,
    requestId: string,
    started: number,
  ): HttpStreamResponse {
    const events = withHeartbeat(reply.events, heartbeatMs)
    const onAbort = () => reply.onDisconnect?.()
    if (reply.onDisconnect && head.signal.aborted)
      queueMicrotask(onAbort) // gone while the handler ran
    else if (reply.onDisconnect) head.signal.addEventListener('abort', onAbort, { once: true })
    return {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        ...headers,
      },
      events,
      async pipe(sink) {
        let bytes = 0
        const counting: ByteSink = {
          get aborted() {
            return sink.aborted
          },
          write(chunk) {
            bytes += chunk.byteLength
            return sink.write(chunk)
          },
          drained: () => sink.drained(),
          end: () => sink.end(),
          destroy: () => sink.destroy(),
        }
        let note = ''
        try {
          await pump(events, counting)
        } catch (error) {
          note = ' failed'
          logger.error('Stream failed', { request_id: requestId, error })
        } finally {
          head.signal.removeEventListener('abort', onAbort)
          accessLog(head, 200, started, bytes, requestId, sink.aborted ? ' aborted' : note)
        }
      },
    }
  }

  function bytesResponse(reply: BytesReply, c: Dispatch, headers: Record<string, string>): HttpBytesResponse {
    return {
      status: 200,
      headers: { 'content-type': reply.contentType, ...reply.headers, ...headers },
      chunks: reply.chunks,
      async pipe(sink) {
        let bytes = 0
        const counting: ByteSink = {
          get aborted() {
            return sink.aborted
          },
          write(chunk) {
            bytes += chunk.byteLength
            return sink.write(chunk)
          },
          drained: () => sink.drained(),
          end: () => sink.end(),
          destroy: () => sink.destroy(),
        }
        let note = ''
        try {
          await pumpBytes(reply.chunks, counting)
        } catch (error) {
          note = ' failed'
          logger.error('Stream failed', { request_id: c.requestId, error })
        } finally {
          accessLog(c.incoming, 200, c.started, bytes, c.requestId, sink.aborted ? ' aborted' : note)
        }
      },
    }
  }

  function toResponse(result: unknown, route: Route, c: Dispatch): HttpResponse {
    const headers = { ...c.headers, ...baseHeaders(c.requestId, c.origin) }
    if (result instanceof BytesReply) return bytesResponse(result, c, headers)
    if (result instanceof SseReply)
      return streamResponse(result, c.incoming, { ...result.headers, ...headers }, c.requestId, c.started)
    if (result instanceof TextReply)
      return bodyResponse(result.status, { ...result.headers, ...headers }, result.text, result.contentType)
    const reply = result instanceof JsonReply ? result : new JsonReply(200, result)
    if (reply.body === undefined) throw new TypeError(`Handler of ${route.method} ${route.path} returned nothing`)
    if (options.validateReplies && reply.status >= 200 && reply.status < 300) {
      const problem = route.inspectReply(reply.body)
      if (problem) {
        logger.error(`Reply of ${route.method} ${route.path} does not match its schema: ${problem.message}`, {
          request_id: c.requestId,
        })
        throw new InternalServerError(`Reply does not match the response schema: ${problem.message}`, {
          param: problem.param,
        })
      }
    }
    return bodyResponse(reply.status, { ...reply.headers, ...headers }, JSON.stringify(reply.body))
  }

  async function dispatch(c: Dispatch): Promise<HttpResponse> {
    const { incoming, requestId } = c
    const { path, rawQuery } = splitTarget(incoming.url)
    if (c.origin && incoming.method === 'OPTIONS') {
      return {
        status: 204,
        headers: {
          ...preflightHeaders(c.origin, incoming.headers['access-control-request-headers']),
          ...baseHeaders(requestId, c.origin),
        },
        body: new Uint8Array(0),
      }
    }
    if (checkKey && path.startsWith('/v1') && incoming.method !== 'OPTIONS') checkKey(incoming.headers.authorization)
    const match = router.match(incoming.method, path)
    if (match.kind === 'not-found') throw new ApiError(404, `Invalid URL (${incoming.method} ${path})`)
    if (match.kind === 'wrong-method') {
      throw new ApiError(405, `Invalid method for URL (${incoming.method} ${path})`, {
        headers: { allow: match.allow.join(', ') },
        shouldRetry: false,
      })
    }
    const request: HttpRequest = {
      method: incoming.method,
      path,
      params: match.params,
      query: new URLSearchParams(rawQuery),
      rawQuery,
      headers: incoming.headers,
      body: incoming.body,
      stream: incoming.stream ?? null,
      lane: incoming.lane,
      signal: incoming.signal,
      requestId,
    }
    const input = match.route.validate(request)
    const context: RawContext = {
      params: input.params,
      query: input.query,
      body: input.body,
      signal: incoming.signal,
      request,
      requestId,
      header(name: string, value: string) {
        const lower = name.toLowerCase()
        checkHeader(lower, value)
        c.headers[lower] = value
      },
    }
    const result = await match.route.handler(context)
    return toResponse(result, match.route, c)
  }

  return {
    maxBodyBytes,
    logger,
    streamsBody: (head) => router.streamsBody(head.method, splitTarget(head.url).path),
    async handle(incoming) {
      const c: Dispatch = {
        incoming,
        requestId: pickRequestId(incoming.headers['x-request-id']),
        origin: allowedOrigin(incoming.headers.origin),
        started: performance.now(),
        headers: {},
      }
      let response: HttpResponse
      try {
        response = await dispatch(c)
      } catch (error) {
        response = errorResponse(error, c.requestId, c.origin)
      }
      if ('body' in response) {
        response.headers['openai-processing-ms'] = String(Math.round(performance.now() - c.started))
        accessLog(
          incoming,
          response.status,
          c.started,
          response.body.byteLength,
          c.requestId,
          incoming.signal.aborted ? ' aborted' : '',
        )
      }
      return response
    },
    reject(head, error) {
      const requestId = pickRequestId(head.headers['x-request-id'])
      const response = errorResponse(error, requestId, allowedOrigin(head.headers.origin))
      accessLog(head, response.status, performance.now(), response.body.byteLength, requestId)
      return response
    },
  }
}

type Dispatch = {
  incoming: IncomingRequest
  requestId: string
  origin: string | null
  started: number
  headers: Record<string, string>
}
