import { APIError, BadRequestError, NotFoundError, toFile } from 'openai'
import t, { type Test } from 'tap'
import { registerRoutes } from '../../src/api/routes.js'
import { Router, type Route } from '../../src/http/router.js'
import {
  JUNK_BODIES,
  JUNK_PATH_IDS,
  JUNK_QUERY_VALUES,
  JUNK_VALUES,
  jsonPaths,
  rawRequest,
  replaceAt,
  seededRandom,
  type Random,
  type RawReply,
} from '../helpers/fuzz.js'
import { startTestServer, TRANSPORTS, type TestServer } from '../helpers/server.js'

const SEED = 0x0c0ffee
const CASES_PER_ROUTE = 12
const TERMINAL = ['cancelled', 'failed', 'completed', 'incomplete', 'expired']

// stories260K never ends a turn by itself: a tiny JSON answer and a token cap end every run the fuzz starts
const shortAnswer = {
  type: 'json_schema',
  json_schema: { name: 'a', schema: { type: 'object', properties: { a: { type: 'string', maxLength: 4 } } } },
}

/** Real objects the fuzz aims at: valid ids of each kind, for the parameters it leaves alone. */
type Seeds = {
  assistant_id: string
  thread_id: string
  message_id: string
  run_id: string
  step_id: string
  file_id: string
  upload_id: string
  part_id: string
  batch_id: string
}

async function seedObjects(s: TestServer): Promise<Seeds> {
  const { client } = s
  const assistant = await client.beta.assistants.create({
    model: 'stories260K',
    instructions: 'Tell stories.',
    response_format: shortAnswer as never,
  })
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Once upon a time' }] })
  const run = await client.beta.threads.runs.createAndPoll(thread.id, {
    assistant_id: assistant.id,
    max_completion_tokens: 256,
  })
  const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id })
  const messages = await client.beta.threads.messages.list(thread.id)
  const line = { custom_id: 'a', method: 'POST', url: '/v1/embeddings', body: { model: 'stories260K', input: 'a' } }
  const file = await client.files.create({
    file: await toFile(Buffer.from(JSON.stringify(line)), 'in.jsonl'),
    purpose: 'batch',
  })
  const upload = await client.uploads.create({ bytes: 1, filename: 'u', mime_type: 'text/plain', purpose: 'user_data' })
  const part = await client.uploads.parts.create(upload.id, { data: await toFile(Buffer.from('u'), 'p') })
  const batch = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/embeddings',
    completion_window: '24h',
  })
  return {
    assistant_id: assistant.id,
    thread_id: thread.id,
    message_id: messages.data[0]?.id ?? 'msg_missing',
    run_id: run.id,
    step_id: steps.data[0]?.id ?? 'step_missing',
    file_id: file.id,
    upload_id: upload.id,
    part_id: part.id,
    batch_id: batch.id,
  }
}

/** A valid body for each body route, which the fuzz then mutates; a route added later falls back to `{}`. */
function bodyTemplate(route: Route, seeds: Seeds): unknown {
  const message = { role: 'user', content: 'Hello', metadata: { k: 'v' } }
  const templates: Record<string, unknown> = {
    'POST /v1/assistants': { model: 'stories260K', name: 'n', instructions: 'i', metadata: { k: 'v' } },
    'POST /v1/assistants/:assistant_id': { name: 'n', description: 'd', metadata: { k: 'v' } },
    'POST /v1/threads': { messages: [message], metadata: { k: 'v' } },
    'POST /v1/threads/:thread_id': { metadata: { k: 'v' } },
    'POST /v1/threads/:thread_id/messages': message,
    'POST /v1/threads/:thread_id/messages/:message_id': { metadata: { k: 'v' } },
    'POST /v1/threads/:thread_id/runs': {
      assistant_id: seeds.assistant_id,
      max_completion_tokens: 256,
      additional_messages: [message],
      metadata: { k: 'v' },
    },
    'POST /v1/threads/runs': {
      assistant_id: seeds.assistant_id,
      max_completion_tokens: 256,
      thread: { messages: [message], metadata: { k: 'v' } },
    },
    'POST /v1/threads/:thread_id/runs/:run_id': { metadata: { k: 'v' } },
    'POST /v1/threads/:thread_id/runs/:run_id/submit_tool_outputs': {
      tool_outputs: [{ tool_call_id: 'call_1', output: 'o' }],
    },
    'POST /v1/uploads': { bytes: 1, filename: 'f', mime_type: 'text/plain', purpose: 'user_data' },
    'POST /v1/uploads/:upload_id/complete': { part_ids: [seeds.part_id] },
    'POST /v1/batches': {
      input_file_id: seeds.file_id,
      endpoint: '/v1/embeddings',
      completion_window: '24h',
      metadata: { k: 'v' },
    },
  }
  return templates[`${route.method} ${route.path}`] ?? {}
}

function isObjectAt(value: unknown, path: ReadonlyArray<string | number>): boolean {
  let at = value
  for (const key of path) at = (at as Record<string | number, unknown>)[key]
  return at !== null && typeof at === 'object' && !Array.isArray(at)
}

function paramNames(route: Route): string[] {
  return route.segments.flatMap((s) => ('param' in s ? [s.param] : []))
}

function pathWith(route: Route, values: Record<string, string>): string {
  return '/' + route.segments.map((s) => ('param' in s ? (values[s.param] ?? '') : s.literal)).join('/')
}

function queryKeys(route: Route): string[] {
  const properties = (route.schemas.query as { properties?: Record<string, unknown> } | undefined)?.properties
  return Object.keys(properties ?? {})
}

type FuzzRequest = { method: string; path: string; body?: string | Uint8Array; contentType?: string; what: string }

/** One mutated request for a route: a junk path id, junk query values or a mutated body. */
function mutate(route: Route, seeds: Seeds, rng: Random): FuzzRequest {
  const names = paramNames(route)
  const valid: Record<string, string> = { ...seeds }
  const ids = Object.values(seeds)
  const template = route.schemas.body ? bodyTemplate(route, seeds) : undefined
  // the seeds must survive: a DELETE only ever gets a junk path
  const deletes = route.method === 'DELETE'
  const kinds = [
    ...(deletes ? [] : ['valid', 'query']), // 'valid': the request unmutated, so runs start and objects change
    ...(names.length > 0 ? ['path', 'path'] : []),
    ...(template !== undefined ? ['body', 'body', 'body', 'raw'] : []),
  ]
  const kind = rng.pick(kinds)
  const values = { ...valid }
  let what = kind
  if (kind === 'path') {
    const name = rng.pick(names)
    const others = ids.filter((id) => id !== values[name])
    values[name] = rng.next() < 0.8 ? rng.pick(JUNK_PATH_IDS) : rng.pick(others) // junk, or an id of another kind
    what = `path ${name}=${values[name]?.slice(0, 40)}`
  }
  let query = ''
  if (kind === 'query') {
    const keys = [...queryKeys(route), 'after', 'limit', 'junk%00']
    const parts = Array.from({ length: 1 + rng.int(3) }, () => `${rng.pick(keys)}=${rng.pick(JUNK_QUERY_VALUES)}`)
    query = `?${parts.join('&')}`
    what = `query ${query.slice(0, 80)}`
  }
  const path = pathWith(route, values) + query
  if (template === undefined) return { method: route.method, path, what }
  if (kind === 'raw') {
    const junk = rng.pick(JUNK_BODIES)
    return { method: route.method, path, ...junk, what: `raw body ${String(junk.body).slice(0, 40)}` }
  }
  if (kind !== 'body') return { method: route.method, path, body: JSON.stringify(template), what }
  const paths = jsonPaths(template)
  const objects = paths.filter((p) => isObjectAt(template, p))
  const roll = rng.next()
  let at = rng.pick(paths)
  let body: unknown
  if (roll < 0.1 && at.length > 0) {
    body = replaceAt(template, at, undefined, true)
  } else if (roll < 0.25) {
    at = [...rng.pick(objects), rng.pick(['junk', '\u0000', '\ud800', 'k\u0000', 'metadata'])] // an extra key
    body = replaceAt(template, at, rng.pick(JUNK_VALUES))
  } else {
    body = replaceAt(template, at, rng.pick(JUNK_VALUES))
  }
  return { method: route.method, path, body: JSON.stringify(body), what: `body at ${at.join('.') || '(root)'}` }
}

/** Runs a 2xx reply started (a run object, or the run created in a stream), to end them after the fuzz. */
function startedRuns(reply: RawReply): Array<{ thread_id: string; id: string }> {
  const found: Array<{ thread_id: string; id: string }> = []
  const texts = String(reply.headers['content-type']).startsWith('text/event-stream')
    ? reply.text.split('\n').flatMap((line) => (line.startsWith('data: ') ? [line.slice(6)] : []))
    : [reply.text]
  for (const text of texts) {
    try {
      const value = JSON.parse(text) as { object?: string; id?: string; thread_id?: string }
      if (value.object === 'thread.run' && value.id && value.thread_id)
        found.push({ thread_id: value.thread_id, id: value.id })
    } catch {
      // not JSON: [DONE] or a body that is not an object
    }
  }
  return found
}

/** Asserts the reply is a success or a 4xx in OpenAI's envelope; never a 5xx. */
function checkReply(t: Test, request: FuzzRequest, reply: RawReply): boolean {
  const label = `${request.method} ${request.path.slice(0, 100)} (${request.what})`
  if (reply.status >= 200 && reply.status < 300) return true
  if (!(reply.status >= 400 && reply.status < 500)) {
    t.fail(`${label}: status ${reply.status} ${reply.text.slice(0, 300)}`)
    return false
  }
  let envelope: { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } } = {}
  try {
    envelope = JSON.parse(reply.text) as typeof envelope
  } catch {
    // checked below
  }
  const ok =
    typeof envelope.error?.message === 'string' &&
    typeof envelope.error.type === 'string' &&
    'param' in envelope.error &&
    'code' in envelope.error
  if (!ok) t.fail(`${label}: ${reply.status} without the error envelope: ${reply.text.slice(0, 300)}`)
  return ok
}

/** The SDK error a call that must fail raised. */
async function failure(call: () => Promise<unknown>): Promise<APIError> {
  try {
    await call()
  } catch (error) {
    if (error instanceof APIError) return error
    throw error
  }
  throw new Error('The call succeeded but was expected to fail')
}

function messageOf(error: APIError): unknown {
  return (error.error as { message?: unknown } | undefined)?.message
}

/** The id and text checks, through the SDK, with the exact replies a client sees. */
async function malformedIds(t: Test, s: TestServer, seeds: Seeds): Promise<void> {
  const { client } = s
  const { thread_id } = seeds
  const nul = await failure(() => client.beta.threads.retrieve('\u0000x'))
  t.ok(nul instanceof NotFoundError, 'a NUL in a path id: 404')
  t.equal(messageOf(nul), "No thread found with id '\u0000x'.")
  const long = await failure(() => client.beta.assistants.retrieve(`asst_${'a'.repeat(5000)}`))
  t.equal(long.status, 404, 'a 5,000-character path id: 404')
  const kind = await failure(() => client.beta.threads.messages.retrieve(thread_id, { thread_id }))
  t.equal(messageOf(kind), `No message found with id '${thread_id}'.`, 'an id of another kind: 404 naming it')
  const body = await failure(() => client.beta.threads.runs.create(thread_id, { assistant_id: 'asst_\u0000' }))
  t.ok(body instanceof BadRequestError, 'a NUL in a body id: 400')
  t.equal(body.param, 'assistant_id')
  const prefix = await failure(() => client.beta.threads.createAndRun({ assistant_id: thread_id }))
  t.match({ param: prefix.param, code: prefix.code }, { param: 'assistant_id', code: 'invalid_id_prefix' })
  t.equal(messageOf(prefix), `Invalid 'assistant_id': '${thread_id}'. Expected an ID that begins with 'asst_'.`)
  const cursor = await failure(() => client.beta.threads.messages.list(thread_id, { after: '\u0000' }))
  t.match({ status: cursor.status, param: cursor.param }, { status: 400, param: 'after' }, 'a NUL cursor: 400')
  const filter = await failure(() => client.beta.threads.messages.list(thread_id, { run_id: 'msg_1' }))
  t.match({ status: filter.status, param: filter.param }, { status: 400, param: 'run_id' })
  const steps = await failure(() =>
    client.beta.threads.runs.steps.list(seeds.run_id, { thread_id, before: `step_${'z'.repeat(5000)}` }),
  )
  t.match({ status: steps.status, param: steps.param }, { status: 400, param: 'before' })
  const text = await failure(() => client.beta.threads.messages.create(thread_id, { role: 'user', content: 'a\ud800' }))
  t.match(
    { status: text.status, param: text.param, code: text.code },
    { status: 400, param: 'content', code: 'invalid_value' },
  )
  const key = await failure(() => client.beta.threads.create({ metadata: { 'k\u0000': 'v' } }))
  t.match({ status: key.status, param: key.param }, { status: 400, param: 'metadata' }, 'a NUL in a metadata key')
  const name = await failure(() => client.beta.assistants.create({ model: 'stories260K', name: 'a\u0000b' }))
  t.match({ status: name.status, param: name.param }, { status: 400, param: 'name' })
  const file = await failure(() => client.files.retrieve('file_abc'))
  t.equal(messageOf(file), "No file found with id 'file_abc'.", 'a file id with the wrong separator: 404')
  t.equal((await failure(() => client.batches.retrieve(thread_id))).status, 404)
  t.equal((await failure(() => client.uploads.cancel('upload_\u0000'))).status, 404)
  const input = await failure(() =>
    client.batches.create({ input_file_id: thread_id, endpoint: '/v1/embeddings', completion_window: '24h' }),
  )
  t.match({ param: input.param, code: input.code }, { param: 'input_file_id', code: 'invalid_id_prefix' })
  t.equal(messageOf(input), `Invalid 'input_file_id': '${thread_id}'. Expected an ID that begins with 'file-'.`)
  const part = await failure(() => client.uploads.complete(seeds.upload_id, { part_ids: ['upload_1'] }))
  t.match({ status: part.status, param: part.param }, { status: 400, param: 'part_ids[0]' })
  const after = await failure(() => client.files.list({ after: 'batch_1' }))
  t.match({ status: after.status, param: after.param }, { status: 400, param: 'after' })
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: fuzzing every Assistants, Files, Uploads and Batches route never answers 5xx`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    const seeds = await seedObjects(s)
    const table = new Router()
    registerRoutes(table, s.app.deps) // the app's own route table: routes added later are fuzzed too
    const routes = table.routes().filter((r) => /^\/v1\/(assistants|threads|files|uploads|batches)(\/|$)/.test(r.path))
    t.ok(routes.length >= 36, `${routes.length} Assistants, Files, Uploads and Batches routes`)

    await t.test('malformed ids answer as unknown ones do: 404 in the path, 400 naming the field elsewhere', (t) =>
      malformedIds(t, s, seeds),
    )

    const rng = seededRandom(SEED)
    const runs = new Map<string, { thread_id: string; id: string }>()
    let sent = 0
    let failed = 0
    const statuses = new Map<number, number>()
    for (const route of routes) {
      for (let i = 0; i < CASES_PER_ROUTE; i++) {
        const request = mutate(route, seeds, rng)
        const reply = await rawRequest(s.url, request)
        sent++
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
        if (!checkReply(t, request, reply)) failed++
        if (reply.status < 300) for (const run of startedRuns(reply)) runs.set(run.id, run)
      }
    }
    t.equal(failed, 0, `${sent} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`)
    t.ok(runs.size > 0, `${runs.size} runs seen in the fuzz's replies`)

    // every run the fuzz started ends (cancelled if still going), then the server serves normally
    for (const run of runs.values()) {
      const now = await s.client.beta.threads.runs.retrieve(run.id, { thread_id: run.thread_id })
      if (!TERMINAL.includes(now.status))
        await s.client.beta.threads.runs.cancel(run.id, { thread_id: run.thread_id }).catch(() => undefined)
      const ended = await s.client.beta.threads.runs.poll(run.id, { thread_id: run.thread_id })
      t.ok(TERMINAL.includes(ended.status), `run ${run.id} ended: ${ended.status}`)
    }
    const assistant = await s.client.beta.assistants.create({ model: 'stories260K', name: 'after the fuzz' })
    t.equal((await s.client.beta.assistants.retrieve(assistant.id)).name, 'after the fuzz')
    const thread = await s.client.beta.threads.create({ messages: [{ role: 'user', content: 'still here' }] })
    t.equal((await s.client.beta.threads.messages.list(thread.id)).data.length, 1)
    t.equal((await fetch(`${s.url}/health`)).status, 200, 'healthy')
  })
}
