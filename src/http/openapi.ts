import type { TSchema } from 'typebox'
import { ErrorResponse } from '../schemas/errors.js'
import type { Route } from './router.js'

/** What the API description says beyond the route table. */
export type OpenApiOptions = {
  title: string
  version: string
  description?: string
  /**
   * Named schemas: wherever one of these objects appears (by identity) inside a route's schemas, the document
   * refers to `#/components/schemas/<name>` instead of repeating it.
   */
  components?: Readonly<Record<string, TSchema>>
  /** Route paths that need no API key. */
  publicPaths?: readonly string[]
}

type Json = Record<string, unknown>

const JSON_TYPE = 'application/json'
const SECURITY = 'ApiKey'

/** Turns typebox schemas into plain JSON, replacing named sub-schemas with `$ref`s and noting the names used. */
class SchemaWriter {
  readonly #names = new Map<object, string>()
  readonly #schemas: Readonly<Record<string, TSchema>>
  readonly used = new Set<string>()

  constructor(components: Readonly<Record<string, TSchema>>) {
    this.#schemas = components
    for (const [name, schema] of Object.entries(components)) if (!this.#names.has(schema)) this.#names.set(schema, name)
  }

  /** The schema as JSON; `inline` writes this node out even when it is named (a component's own body). */
  write(schema: unknown, inline = false): unknown {
    if (Array.isArray(schema)) return schema.map((item) => this.write(item))
    if (typeof schema !== 'object' || schema === null) return schema
    const name = inline ? undefined : this.#names.get(schema)
    if (name !== undefined) {
      this.used.add(name)
      return { $ref: `#/components/schemas/${name}` }
    }
    const out: Json = {}
    for (const [key, value] of Object.entries(schema)) out[key] = this.write(value)
    return out
  }

  /** Every component used so far, and those they use in turn, written out. */
  components(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (let added = true; added;) {
      added = false
      for (const name of [...this.used]) {
        if (name in out) continue
        out[name] = this.write(this.#schemas[name], true)
        added = true
      }
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
  }
}

/** `/v1/threads/:thread_id` as OpenAPI writes it: `/v1/threads/{thread_id}`. */
function openApiPath(route: Route): string {
  return '/' + route.segments.map((s) => ('literal' in s ? s.literal : `{${s.param}}`)).join('/')
}

function operationId(route: Route): string {
  const parts = route.segments.map((s) => ('literal' in s ? s.literal : `by_${s.param}`))
  return [route.method.toLowerCase(), ...parts].join('_').replace(/[^A-Za-z0-9_]/g, '_')
}

// the resource a route belongs to: the first literal segment after /v1
function tagOf(route: Route): string {
  const literals = route.segments.flatMap((s) => ('literal' in s ? [s.literal] : []))
  return (literals[0] === 'v1' ? literals[1] : literals[0]) || 'server'
}

function parameters(writer: SchemaWriter, schema: TSchema | undefined, where: 'path' | 'query'): Json[] {
  const object = schema as { properties?: Record<string, Json>; required?: string[] } | undefined
  return Object.entries(object?.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object?.required ?? []).includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: writer.write(property),
  }))
}

function requestBody(writer: SchemaWriter, route: Route): Json | null {
  const { body, streamBody } = route.schemas
  if (streamBody) return { required: true, content: { 'multipart/form-data': { schema: { type: 'object' } } } }
  if (!body) return null
  return { required: true, content: { [JSON_TYPE]: { schema: writer.write(body) } } }
}

type ObjectOrUnion = { properties?: Record<string, unknown>; anyOf?: unknown[] }

// a body with a `stream` flag (in any variant) may be answered with server-sent events instead of the JSON object
function streams(schema: unknown): boolean {
  const { properties, anyOf } = (schema ?? {}) as ObjectOrUnion
  return (properties !== undefined && 'stream' in properties) || (anyOf ?? []).some(streams)
}

function success(writer: SchemaWriter, route: Route): Json {
  const content: Json = {}
  if (route.schemas.response) content[JSON_TYPE] = { schema: writer.write(route.schemas.response) }
  if (streams(route.schemas.body))
    content['text/event-stream'] = {
      schema: { type: 'string', description: 'Server-sent events, when the request sets `stream`.' },
    }
  return Object.keys(content).length > 0 ? { description: 'OK', content } : { description: 'OK' }
}

function operation(writer: SchemaWriter, route: Route, isPublic: boolean): Json {
  const params = [
    ...parameters(writer, route.schemas.params, 'path'),
    ...parameters(writer, route.schemas.query, 'query'),
  ]
  const body = requestBody(writer, route)
  return {
    operationId: operationId(route),
    tags: [tagOf(route)],
    ...(route.schemas.summary ? { summary: route.schemas.summary } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: { '200': success(writer, route), default: { $ref: '#/components/responses/Error' } },
    ...(isPublic ? { security: [] } : {}),
  }
}

/** An OpenAPI 3.1 document of the routes: paths, parameters, bodies and replies from their typebox schemas. */
export function openApiDocument(routes: readonly Route[], options: OpenApiOptions): Json {
  const writer = new SchemaWriter({ ...options.components, ErrorResponse })
  const publicPaths = new Set(options.publicPaths ?? [])
  const paths: Record<string, Json> = {}
  for (const route of routes) {
    const item = (paths[openApiPath(route)] ??= {})
    item[route.method.toLowerCase()] = operation(writer, route, publicPaths.has(route.path))
  }
  writer.used.add('ErrorResponse')
  return {
    openapi: '3.1.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    security: [{ [SECURITY]: [] }],
    paths,
    components: {
      schemas: writer.components(),
      responses: {
        Error: {
          description: 'An error, in the OpenAI envelope: `{"error": {message, type, param, code}}`.',
          content: { [JSON_TYPE]: { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
        },
      },
      securitySchemes: {
        [SECURITY]: {
          type: 'http',
          scheme: 'bearer',
          description: "One of the server's API keys (`--api-key`); needed only when the server has keys.",
        },
      },
    },
  }
}
