import type { Static, TSchema } from 'typebox'
import { BadRequestError } from './errors.js'
import { parseJsonBody } from './json-body.js'
import type { Reply } from './reply.js'
import type { HttpRequest } from './request.js'
import {
  compileInspect,
  compileJson,
  compilePathParams,
  compileStrings,
  queryObject,
  type Inspect,
} from './validate.js'

/** The typebox schemas of one route; each part is validated (and typed) before the handler runs. */
export type RouteSchemas = {
  params?: TSchema
  query?: TSchema
  body?: TSchema
  response?: TSchema
  /**
   * The handler reads the body itself as it arrives, from `c.request.stream` (multipart uploads): it is neither
   * buffered nor held to `--max-body`, so the handler enforces its own limit.
   */
  streamBody?: true
  /** One line for the API description. */
  summary?: string
  /** Answered without an API key and never rate limited (`/health`, which load balancers poll). */
  public?: true
  /**
   * The body field that holds the request's main input (`messages`, `prompt`, `input`): the app's error hook names
   * it for errors about the input as a whole, such as a prompt longer than the context. Such a route runs the model on
   * the request's own input, so the `usage` of its JSON reply settles the rate limiter's token estimate.
   */
  inputParam?: string
}

type Part<S, K extends string, Fallback> = S extends { [P in K]: infer T extends TSchema } ? Static<T> : Fallback

/** What a handler receives: validated input, the raw request, the abort signal and a way to set reply headers. */
export type Context<S extends RouteSchemas> = {
  readonly params: Part<S, 'params', Readonly<Record<string, string>>>
  readonly query: Part<S, 'query', Readonly<Record<string, never>>>
  readonly body: Part<S, 'body', undefined>
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal
  readonly request: HttpRequest
  readonly requestId: string
  /** Sets a reply header (name lower-cased) on success replies. */
  header(name: string, value: string): void
  /**
   * Counts the tokens of background work the request starts (a batch's input) against its caller's rate limit. It
   * never refuses: the request is already admitted; later requests wait instead. Does nothing without limits.
   */
  chargeTokens(tokens: number): void
  /**
   * The tokens the request used in the end, when its reply streams (a JSON reply's `usage` is read by the app): they
   * replace the rate limiter's estimate made at admission. Does nothing without limits.
   */
  usedTokens(total: number): void
}

/** A plain object (200 JSON, typed by the response schema) or a reply built with json(), text() or sse(). */
export type HandlerResult<S extends RouteSchemas> = Part<S, 'response', unknown> | Reply

/** A route handler. */
export type Handler<S extends RouteSchemas> = (c: Context<S>) => HandlerResult<S> | Promise<HandlerResult<S>>

/** The validated parts of a request. */
export type RouteInput = { params: unknown; query: unknown; body: unknown }

/** The context as the app builds it, before a route's schemas give its parts their types. */
export type RawContext = RouteInput & Omit<Context<RouteSchemas>, keyof RouteInput>

/** A registered route with its compiled validators. */
export type Route = {
  readonly method: string
  readonly path: string
  readonly schemas: RouteSchemas
  readonly handler: (c: RawContext) => unknown
  /** Validates params, then body, then query (Fastify's order); throws a 400 on the first failure. */
  readonly validate: (request: HttpRequest) => RouteInput
  /** Checks a JSON reply against the response schema; null when the route has none or it passes. */
  readonly inspectReply: Inspect
  readonly segments: readonly Segment[]
}

type Segment = { literal: string } | { param: string }

/** What matching a method and path found. */
export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'wrong-method'; allow: string[] }
  | { kind: 'not-found' }

function parsePath(path: string): Segment[] {
  if (!path.startsWith('/')) throw new TypeError(`Cannot register route '${path}': it does not start with '/'`)
  const seen = new Set<string>()
  return path
    .split('/')
    .slice(1)
    .map((part) => {
      if (!part.startsWith(':')) return { literal: part }
      const name = part.slice(1)
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || seen.has(name))
        throw new TypeError(`Cannot register route '${path}': bad parameter '${part}'`)
      seen.add(name)
      return { param: name }
    })
}

function decodeSegment(part: string): string {
  if (!part.includes('%')) return part
  try {
    return decodeURIComponent(part)
  } catch {
    throw new BadRequestError(`Invalid URL: the path segment '${part}' is not valid percent-encoding.`)
  }
}

/** Do a route's segments fit a split path (`parts[0]` is the empty string before the first '/')? */
function fits(segments: readonly Segment[], parts: readonly string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment
    const part = parts[i + 1] as string
    if ('literal' in segment ? segment.literal !== part : part === '') return false
  }
  return true
}

function paramsOf(segments: readonly Segment[], parts: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment
    if ('param' in segment) params[segment.param] = decodeSegment(parts[i + 1] as string)
  }
  return params
}

/** Literal segments beat parameters, leftmost first: `/v1/threads/runs` wins over `/v1/threads/:thread_id`. */
function specificity(segments: readonly Segment[]): string {
  return segments.map((s) => ('literal' in s ? '0' : '1')).join('')
}

function buildValidate(schemas: RouteSchemas): Route['validate'] {
  const params = schemas.params ? compilePathParams(schemas.params) : (raw: unknown) => raw
  const body = schemas.body ? compileJson(schemas.body) : undefined
  const querySchema = schemas.query
  const query = querySchema ? compileStrings(querySchema) : undefined
  return (request) => {
    const validParams = params(request.params)
    const validBody = body ? body(parseJsonBody(request.body, request.headers['content-type'])) : undefined
    const validQuery = query && querySchema ? query(queryObject(request.query, querySchema)) : {}
    return { params: validParams, query: validQuery, body: validBody }
  }
}

/** The route table: `router.get/post/delete(path, schemas, handler)` with `:name` path parameters. */
export class Router {
  #routes: Route[] = []
  // Precomputed at registration: routes without parameters by path then method; the others by their number of
  // '/'-separated parts (as `path.split('/')` counts them), most specific first
  #static = new Map<string, Map<string, Route>>()
  #dynamic = new Map<number, Route[]>()

  /** Registers a GET route. */
  get<const S extends RouteSchemas>(path: string, schemas: S, handler: Handler<S>): void {
    this.#add('GET', path, schemas, handler)
  }

  /** Registers a POST route. */
  post<const S extends RouteSchemas>(path: string, schemas: S, handler: Handler<S>): void {
    this.#add('POST', path, schemas, handler)
  }

  /** Registers a DELETE route. */
  delete<const S extends RouteSchemas>(path: string, schemas: S, handler: Handler<S>): void {
    this.#add('DELETE', path, schemas, handler)
  }

  /** Every route in registration order (for the API description). */
  routes(): readonly Route[] {
    return this.#routes
  }

  /** Finds the most specific route for a method and (percent-encoded) path. */
  match(method: string, path: string): RouteMatch {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
    // A literal path beats any parameter route for its own method
    const route = this.#static.get(trimmed)?.get(method)
    if (route) return { kind: 'found', route, params: {} }
    const parts = trimmed.split('/')
    for (const candidate of this.#dynamic.get(parts.length) ?? []) {
      if (candidate.method === method && fits(candidate.segments, parts)) {
        return { kind: 'found', route: candidate, params: paramsOf(candidate.segments, parts) }
      }
    }
    const allow = new Set<string>()
    for (const r of this.#routes)
      if (r.segments.length === parts.length - 1 && fits(r.segments, parts)) allow.add(r.method)
    return allow.size === 0 ? { kind: 'not-found' } : { kind: 'wrong-method', allow: [...allow] }
  }

  /**
   * True when the route for this method and path reads its body as a stream (`streamBody`). Never throws: a path that
   * cannot be matched (bad percent-encoding) reads its body whole and gets its 400 from `handle()`.
   */
  streamsBody(method: string, path: string): boolean {
    let match: ReturnType<Router['match']>
    try {
      match = this.match(method, path)
    } catch {
      return false
    }
    return match.kind === 'found' && match.route.schemas.streamBody === true
  }

  #add<S extends RouteSchemas>(method: string, path: string, schemas: S, handler: Handler<S>): void {
    const segments = parsePath(path)
    if (schemas.streamBody && schemas.body)
      throw new TypeError(`Cannot register ${method} ${path}: a streamed body has no body schema`)
    const shape = specificity(segments) + segments.map((s) => ('literal' in s ? s.literal : ':')).join('/')
    const duplicate = this.#routes.some(
      (r) =>
        r.method === method &&
        specificity(r.segments) + r.segments.map((s) => ('literal' in s ? s.literal : ':')).join('/') === shape,
    )
    if (duplicate) throw new TypeError(`Cannot register ${method} ${path}: an equivalent route exists`)
    const response = schemas.response
    const route: Route = {
      method,
      path,
      schemas,
      segments,
      // The context is built by the app from validated input, so the schema-typed view is sound here
      handler: handler as unknown as Route['handler'],
      validate: buildValidate(schemas),
      inspectReply: response ? compileInspect(response) : () => null,
    }
    this.#routes.push(route)
    if (segments.every((segment) => 'literal' in segment)) {
      const methods = this.#static.get(path) ?? new Map<string, Route>()
      this.#static.set(path, methods.set(method, route))
      return
    }
    const sameLength = this.#dynamic.get(segments.length + 1) ?? []
    sameLength.push(route)
    sameLength.sort((a, b) => specificity(a.segments).localeCompare(specificity(b.segments)))
    this.#dynamic.set(segments.length + 1, sameLength)
  }
}
