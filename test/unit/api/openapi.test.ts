import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Validator } from '@seriousme/openapi-schema-validator'
import Ajv2020 from 'ajv/dist/2020.js'
import t from 'tap'
import type { ApiDeps } from '../../../src/api/deps.js'
import { namedSchemas, PUBLIC_PATHS } from '../../../src/api/openapi.js'
import { registerRoutes } from '../../../src/api/routes.js'
import { createHttpApp, type HttpBodyResponse } from '../../../src/http/http-app.js'
import { createLogger } from '../../../src/http/logger.js'
import { Router, type Route } from '../../../src/http/router.js'
import { ServerMetrics } from '../../../src/metrics/server-metrics.js'
import { REPO_ROOT } from '../../helpers/paths.js'

type Json = Record<string, unknown>

// Registering routes touches only the metrics (the /metrics collector) and the version; handlers are never called
// except GET /openapi.json, which reads nothing else
const deps = { metrics: new ServerMetrics({ version: '9.9.9' }), version: '9.9.9' } as unknown as ApiDeps
const router = new Router()
registerRoutes(router, deps)
const app = createHttpApp({
  router,
  logger: createLogger({ level: 'silent', stream: process.stderr }),
  maxBodyBytes: 1 << 20,
})

async function fetchDocument(): Promise<Json> {
  const reply = (await app.handle({
    method: 'GET',
    url: '/openapi.json',
    headers: {},
    body: null,
    aborted: false,
    signal: new AbortController().signal,
  })) as HttpBodyResponse
  if (reply.status !== 200) throw new Error(`GET /openapi.json answered ${reply.status}: ${reply.body}`)
  t.equal(reply.headers['content-type'], 'application/json')
  return JSON.parse(reply.body) as Json
}

const doc = await fetchDocument()
const components = (doc.components as { schemas: Record<string, unknown> }).schemas

/** The schema with every `#/components/schemas/X` reference replaced by X's schema. */
function resolve(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(resolve)
  if (typeof node !== 'object' || node === null) return node
  const ref = (node as { $ref?: unknown }).$ref
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/'))
    return resolve(components[ref.slice('#/components/schemas/'.length)])
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]))
}

const plain = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema)) as unknown

function operationOf(route: Route): Json {
  const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
  const item = (doc.paths as Record<string, Json>)[path]
  return (item?.[route.method.toLowerCase()] ?? {}) as Json
}

t.test('GET /openapi.json is a valid OpenAPI 3.1 document by a standard validator', async (t) => {
  const result = await new Validator().validate(doc)
  t.same(result.errors ?? [], [], 'no validation errors')
  t.equal(result.valid, true)
  t.equal(doc.openapi, '3.1.0')
  t.equal((doc.info as Json).version, '9.9.9')
})

t.test('every schema in the document is valid JSON Schema 2020-12', async (t) => {
  const ajv = new Ajv2020.default({ strict: false })
  const bad: string[] = []
  const check = (where: string, schema: unknown) => {
    if (!ajv.validateSchema(schema as object)) bad.push(`${where}: ${ajv.errorsText(ajv.errors)}`)
  }
  for (const [name, schema] of Object.entries(components)) check(`components.schemas.${name}`, schema)
  for (const route of router.routes()) {
    const op = operationOf(route)
    for (const p of (op.parameters ?? []) as Json[]) check(`${route.path} ${String(p.name)}`, p.schema)
  }
  t.same(bad, [])
})

t.test('every route of the router appears with its summary, parameters, body and reply schemas', async (t) => {
  const routes = router.routes()
  t.ok(routes.length > 50, `${routes.length} routes`)
  for (const route of routes) {
    const name = `${route.method} ${route.path}`
    const op = operationOf(route)
    t.ok(op.operationId, `${name} is in the document`)
    t.ok(route.schemas.summary, `${name} has a summary`)
    t.equal(op.summary, route.schemas.summary, `${name} summary`)
    const params = (op.parameters ?? []) as Json[]
    const declared = (schema: unknown) => Object.keys((schema as { properties?: object } | undefined)?.properties ?? {})
    t.same(
      params.filter((p) => p.in === 'path').map((p) => p.name),
      declared(route.schemas.params),
      `${name} path parameters`,
    )
    for (const p of params)
      t.same(
        resolve(p.schema),
        plain((route.schemas[p.in === 'path' ? 'params' : 'query'] as { properties: Json }).properties[String(p.name)]),
        `${name} parameter ${String(p.name)} schema`,
      )
    t.same(
      params.filter((p) => p.in === 'query').map((p) => p.name),
      declared(route.schemas.query),
      `${name} query parameters`,
    )
    const body = op.requestBody as { content: Record<string, { schema: unknown }> } | undefined
    if (route.schemas.body)
      t.same(resolve(body?.content['application/json']?.schema), plain(route.schemas.body), `${name} body schema`)
    else if (route.schemas.streamBody) t.ok(body?.content['multipart/form-data'], `${name} takes multipart`)
    else t.notOk(body, `${name} takes no body`)
    const responses = op.responses as Record<string, { content?: Record<string, { schema: unknown }>; $ref?: string }>
    if (route.schemas.response)
      t.same(
        resolve(responses['200']?.content?.['application/json']?.schema),
        plain(route.schemas.response),
        `${name} reply schema`,
      )
    t.equal(responses.default?.$ref, '#/components/responses/Error', `${name} error reply`)
    t.same(op.security, PUBLIC_PATHS.includes(route.path) ? [] : undefined, `${name} security`)
  }
})

t.test('errors, the bearer scheme and shared schemas are components', async (t) => {
  const c = doc.components as Json
  t.same((c.securitySchemes as Json).ApiKey, {
    type: 'http',
    scheme: 'bearer',
    description: "One of the server's API keys (`--api-key`); needed only when the server has keys.",
  })
  t.same(doc.security, [{ ApiKey: [] }])
  t.same(resolve(components.ErrorResponse), plain(namedSchemas().ErrorResponse))
  // the SDK's type names: a schema used by several routes is written once
  for (const name of ['Assistant', 'ChatCompletion', 'Run', 'Thread', 'Message'])
    t.ok(components[name], `${name} is a component`)
  const chat = operationOf(router.routes().find((r) => r.path === '/v1/chat/completions') as Route)
  const ok = (chat.responses as Record<string, { content: Json }>)['200']
  t.ok(ok?.content['text/event-stream'], 'a route whose body has `stream` may answer with server-sent events')
})

t.test('every schema module of src/schemas feeds the named components', async (t) => {
  const dir = path.join(REPO_ROOT, 'src', 'schemas')
  const named = new Set<unknown>(Object.values(namedSchemas()))
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>
    const schemas = Object.entries(module).filter(([, v]) => typeof v === 'object' && v !== null && '~kind' in v)
    t.ok(
      schemas.every(([, v]) => named.has(v)),
      `${file}: its exported schemas are components (add the module to SCHEMA_MODULES in src/api/openapi.ts)`,
    )
  }
})
