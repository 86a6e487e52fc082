import type { ApiKeyMatch } from './auth.js'
import type { BodyStream } from './body-stream.js'
import type { Admission } from './rate-limit.js'
import type { HttpRequest, IncomingRequest } from './request.js'
import type { RawContext, Route } from './router.js'

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/
const BAD_HEADER_VALUE = /[\r\n\0]/

/** `c.request`: the request as routed, before validation; its query is parsed only when read. */
class RoutedRequest implements HttpRequest {
  readonly method: string
  readonly path: string
  readonly params: Readonly<Record<string, string>>
  readonly rawQuery: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | null
  readonly stream: BodyStream | null
  readonly lane: string | undefined
  readonly requestId: string
  readonly #incoming: IncomingRequest
  #query: URLSearchParams | null = null

  constructor(incoming: IncomingRequest, path: string, params: Record<string, string>, requestId: string) {
    this.#incoming = incoming
    this.method = incoming.method
    this.path = path
    this.params = params
    const mark = incoming.url.indexOf('?')
    this.rawQuery = mark === -1 ? '' : incoming.url.slice(mark + 1)
    this.headers = incoming.headers
    this.body = incoming.body
    this.stream = incoming.stream ?? null
    this.lane = incoming.lane
    this.requestId = requestId
  }

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.rawQuery)
    return this.#query
  }

  get signal(): AbortSignal {
    return this.#incoming.signal
  }
}

/**
 * One request's state, built once: what a handler sees as `c` (validated input, the lazily made abort signal,
 * `header()`), and what its reply and access-log line need.
 */
export class RequestContext implements RawContext {
  params: unknown = undefined
  query: unknown = undefined
  body: unknown = undefined
  readonly incoming: IncomingRequest
  readonly requestId: string
  /** The one origin CORS allows for this request, or null. */
  readonly origin: string | null
  /** `performance.now()` when the request arrived. */
  readonly started: number
  /** The matched route, once routing found one. */
  route: Route | null = null
  /** Headers a handler set with `header()`; null until it sets one. */
  replyHeaders: Record<string, string> | null = null
  /** The API key the request presented, once checked. */
  key: ApiKeyMatch | null = null
  /** What the rate limiter charged; its headers go on every reply. */
  admission: Admission | null = null
  /** Set by the app with the admission: adds tokens to the caller's charge. */
  charge: ((tokens: number) => void) | null = null
  #request: HttpRequest | null = null

  constructor(incoming: IncomingRequest, requestId: string, origin: string | null, started: number) {
    this.incoming = incoming
    this.requestId = requestId
    this.origin = origin
    this.started = started
  }

  /** Routes the request: the path's raw parameters and the route; `request` is built from them. */
  routed(route: Route, path: string, params: Record<string, string>): HttpRequest {
    this.route = route
    this.#request = new RoutedRequest(this.incoming, path, params, this.requestId)
    return this.#request
  }

  get request(): HttpRequest {
    if (!this.#request) throw new TypeError('Cannot read c.request: the request is not routed yet')
    return this.#request
  }

  get signal(): AbortSignal {
    return this.incoming.signal
  }

  chargeTokens(tokens: number): void {
    this.charge?.(tokens)
  }

  usedTokens(total: number): void {
    if (this.admission) this.charge?.(total - this.admission.tokens)
  }

  header(name: string, value: string): void {
    const lower = name.toLowerCase()
    if (!HEADER_NAME.test(lower) || BAD_HEADER_VALUE.test(value))
      throw new TypeError(`Cannot set reply header '${name}': invalid name or value`)
    this.replyHeaders ??= {}
    this.replyHeaders[lower] = value
  }
}
