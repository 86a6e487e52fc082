import type { BodyStream } from './body-stream.js'

/** What a transport hands to `app.handle()`: the request line, headers, the whole body and an abort signal. */
export type IncomingRequest = {
  /** Upper-case method, e.g. `POST`. */
  method: string
  /** The request target as sent: path plus optional `?query`. */
  url: string
  /** Lower-case header names; repeated headers joined with `, `. */
  headers: Record<string, string>
  /** The body bytes, or null when the request had no body framing at all. */
  body: Uint8Array | null
  /** The body as it arrives, for routes that stream it (`streamBody`); `body` is then null. */
  stream?: BodyStream | undefined
  /** The engine scheduler lane of an in-process request (Batches send `batch`); transports never set it. */
  lane?: string | undefined
  /** The client's IP address (keyless rate limits); transports read it only when asked. In-process: undefined. */
  readonly remoteAddress?: string | undefined
  /** Aborts when the client goes away. Transports make it on first read (see `LazySignal`): most requests never ask. */
  readonly signal: AbortSignal
  /** True once the client has gone; reading it makes no signal. */
  readonly aborted: boolean
}

/** An abort signal made only when someone reads it; the transport calls `abort()` when the client goes. */
export class LazySignal {
  #controller: AbortController | null = null
  #aborted = false

  /** True once `abort()` ran. */
  get aborted(): boolean {
    return this.#aborted
  }

  /** The signal, made now if this is the first read (already aborted if the client is gone). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController()
      if (this.#aborted) this.#controller.abort()
    }
    return this.#controller.signal
  }

  /** Marks the client gone and aborts the signal if one was made. */
  abort(): void {
    if (this.#aborted) return
    this.#aborted = true
    this.#controller?.abort()
  }
}

/** A request as a handler sees it (`c.request`). */
export type HttpRequest = {
  readonly method: string
  /** The path, still percent-encoded. */
  readonly path: string
  /** Raw path parameters, percent-decoded, before validation. */
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  /** The query string without `?`, as sent. */
  readonly rawQuery: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | null
  /** The body as it arrives, on routes declared with `streamBody` (multipart uploads); otherwise null. */
  readonly stream?: BodyStream | null | undefined
  /** The scheduler lane an in-process caller asked for (Batches: `batch`); undefined for HTTP requests. */
  readonly lane?: string | undefined
  readonly signal: AbortSignal
  readonly requestId: string
}

/** The path of a request target (without its query). */
export function pathOf(url: string): string {
  const mark = url.indexOf('?')
  return mark === -1 ? url : url.slice(0, mark)
}

/** Options for `createIncomingRequest()`. */
export type CreateRequestOptions = {
  headers?: Record<string, string>
  /** Serialized as the body with `content-type: application/json`. */
  json?: unknown
  body?: Uint8Array | string
  /** A streamed body (for `streamBody` routes); give `content-type` in headers. */
  stream?: BodyStream
  /** The scheduler lane for the engine work (in-process callers only). */
  lane?: string
  signal?: AbortSignal
}

/** Builds an IncomingRequest without a socket, for `app.handle()` in tests and in-process calls. */
export function createIncomingRequest(
  method: string,
  url: string,
  options: CreateRequestOptions = {},
): IncomingRequest {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value
  let body: Uint8Array | null = null
  if (options.json !== undefined) {
    body = new TextEncoder().encode(JSON.stringify(options.json))
    headers['content-type'] ??= 'application/json'
  } else if (options.body !== undefined) {
    body = typeof options.body === 'string' ? new TextEncoder().encode(options.body) : options.body
  }
  if (body) headers['content-length'] ??= String(body.byteLength)
  const signal = options.signal ?? new AbortController().signal
  return {
    method: method.toUpperCase(),
    url,
    headers,
    body,
    stream: options.stream,
    lane: options.lane,
    signal,
    get aborted() {
      return signal.aborted
    },
  }
}
