import t from 'tap'
import { Type, type TSchema } from 'typebox'
import { ApiError, NotFoundError } from '../../../src/http/errors.js'
import { compileJson, compilePathParams, compileStrings, queryObject } from '../../../src/http/validate.js'
import { AssistantId, RunId, StepId, ThreadId } from '../../../src/schemas/ids.js'
import { listQueryProperties, Metadata } from '../../../src/schemas/shared.js'

const Part = Type.Union([
  Type.Object({ type: Type.Literal('text'), text: Type.String() }),
  Type.Object({ type: Type.Literal('image_url'), image_url: Type.Object({ url: Type.String() }) }),
])
const ChatMessage = Type.Union([
  Type.Object({ role: Type.Literal('system'), content: Type.String() }),
  Type.Object({
    role: Type.Literal('user'),
    content: Type.Union([Type.String(), Type.Array(Part)]),
    name: Type.Optional(Type.String({ maxLength: 8 })),
  }),
  Type.Object({ role: Type.Literal('assistant'), content: Type.Optional(Type.Union([Type.String(), Type.Null()])) }),
])
const ChatParams = Type.Object({
  model: Type.String(),
  messages: Type.Array(ChatMessage, { minItems: 1 }),
  temperature: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 2 }), Type.Null()])),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
  tool_choice: Type.Optional(
    Type.Union([
      Type.Literal('none'),
      Type.Literal('auto'),
      Type.Object({ type: Type.Literal('function'), function: Type.Object({ name: Type.String() }) }),
    ]),
  ),
  metadata: Type.Optional(Type.Union([Metadata, Type.Null()])),
  stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 })])),
})
const check = compileJson(ChatParams)
const ok = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }

function problem(
  schemaCheck: (v: unknown) => unknown,
  value: unknown,
): { message: string; param: string | null; code: string | null } {
  try {
    schemaCheck(value)
  } catch (error) {
    if (error instanceof ApiError) {
      if (error.status !== 400 || error.type !== 'invalid_request_error') throw error
      return { message: error.message, param: error.param, code: error.code }
    }
    throw error
  }
  throw new Error('expected a validation failure')
}

t.test('a valid body passes unchanged, extra fields included', async (t) => {
  const body = { ...ok, unknown_field: 1 }
  t.equal(check(body), body)
})

t.test('a missing field is "Missing required parameter"', async (t) => {
  t.same(problem(check, { messages: ok.messages }), {
    message: "Missing required parameter: 'model'.",
    param: 'model',
    code: 'missing_required_parameter',
  })
})

t.test('a wrong type names the expected and the actual type', async (t) => {
  t.same(problem(check, { ...ok, temperature: 'hot' }), {
    message: "Invalid type for 'temperature': expected a number, but got a string.",
    param: 'temperature',
    code: 'invalid_type',
  })
  t.equal(
    problem(check, { ...ok, n: 1.5 }).message,
    "Invalid type for 'n': expected an integer, but got a decimal number.",
  )
  t.equal(problem(check, { ...ok, model: null }).message, "Invalid type for 'model': expected a string, but got null.")
})

t.test('a bound violation quotes the bound and the value', async (t) => {
  t.same(problem(check, { ...ok, temperature: 3 }), {
    message: "Invalid 'temperature': integer above maximum value. Expected a value <= 2, but got 3 instead.",
    param: 'temperature',
    code: 'integer_above_max_value',
  })
  t.same(problem(check, { ...ok, messages: [] }), {
    message:
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    param: 'messages',
    code: 'empty_array',
  })
  t.equal(problem(check, { ...ok, stop: ['a', 'b', 'c', 'd', 'e'] }).param, 'stop')
})

t.test('nested paths use OpenAI form: messages[2].content', async (t) => {
  const messages = [
    { role: 'system', content: 's' },
    { role: 'user', content: 'u' },
    { role: 'user', content: 5 },
  ]
  t.same(problem(check, { ...ok, messages }), {
    message: "Invalid type for 'messages[2].content': expected a string or an array, but got an integer.",
    param: 'messages[2].content',
    code: 'invalid_type',
  })
})

t.test('a union of objects is judged by its discriminator', async (t) => {
  t.same(problem(check, { ...ok, messages: [{ role: 'user', content: [{ type: 'text' }] }] }), {
    message: "Missing required parameter: 'messages[0].content[0].text'.",
    param: 'messages[0].content[0].text',
    code: 'missing_required_parameter',
  })
  t.equal(
    problem(check, { ...ok, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 1 } }] }] })
      .param,
    'messages[0].content[0].image_url.url',
  )
  t.same(
    problem(check, { ...ok, messages: [{ role: 'user', content: 'x', name: 'much too long' }] }).param,
    'messages[0].name',
  )
  t.same(problem(check, { ...ok, messages: [{ role: 'bogus', content: 'x' }] }), {
    message: "'bogus' is not one of ['system', 'user', 'assistant'] - 'messages[0].role'",
    param: 'messages[0].role',
    code: null,
  })
})

t.test('literal unions read as enums; with objects in the union the type is named', async (t) => {
  t.equal(
    problem(check, { ...ok, tool_choice: 'sometimes' }).message,
    "'sometimes' is not one of ['none', 'auto'] - 'tool_choice'",
  )
  t.equal(
    problem(check, { ...ok, tool_choice: 5 }).message,
    "Invalid type for 'tool_choice': expected a string or an object, but got an integer.",
  )
  t.equal(
    problem(check, { ...ok, tool_choice: { type: 'function' } }).message,
    "Missing required parameter: 'tool_choice.function'.",
  )
})

t.test('record keys and sizes are reported on the record', async (t) => {
  t.same(problem(check, { ...ok, metadata: { ['k'.repeat(65)]: 'v' } }), {
    message: `Invalid 'metadata': key '${'k'.repeat(65)}' too long. Expected keys with maximum length 64.`,
    param: 'metadata',
    code: null,
  })
  const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))
  t.equal(
    problem(check, { ...ok, metadata: many }).message,
    "Invalid 'metadata': expected an object with at most 16 properties, but got 17 instead.",
  )
  t.equal(problem(check, { ...ok, metadata: { key: 'v'.repeat(513) } }).param, 'metadata.key')
})

t.test('a body that is not an object is a 400 without param', async (t) => {
  t.same(problem(check, [1, 2]), {
    message: 'Invalid type for the request body: expected an object, but got an array.',
    param: null,
    code: 'invalid_type',
  })
})

t.test('a JSON body is never converted', async (t) => {
  t.equal(problem(check, { ...ok, n: '2' }).param, 'n')
})

t.test('query strings are converted, defaulted and checked', async (t) => {
  const Query = Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' })),
    include: Type.Optional(Type.Array(Type.String())),
    stream: Type.Optional(Type.Boolean()),
  })
  const query = compileStrings(Query)
  const parse = (text: string) => query(queryObject(new URLSearchParams(text), Query))
  t.same(parse(''), { limit: 20, order: 'desc' })
  t.same(parse('limit=5&order=asc&stream=true'), { limit: 5, order: 'asc', stream: true })
  t.same(parse('include[]=a&include[]=b'), { limit: 20, order: 'desc', include: ['a', 'b'] })
  t.same(
    parse('include=a&include=b&limit=3&limit=4'),
    { limit: 3, order: 'desc', include: ['a', 'b'] },
    'first value of a scalar wins',
  )
  t.same(
    problem((v) => query(v), queryObject(new URLSearchParams('order=abc'), Query)),
    {
      message: "'abc' is not one of ['asc', 'desc'] - 'order'",
      param: 'order',
      code: null,
    },
  )
  t.same(
    problem((v) => query(v), queryObject(new URLSearchParams('limit=abc'), Query)).message,
    "Invalid type for 'limit': expected an integer, but got a string.",
  )
  t.same(problem((v) => query(v), queryObject(new URLSearchParams('limit=0'), Query)).code, 'integer_below_min_value')
})

t.test('path parameters are converted and checked', async (t) => {
  const Path = Type.Object({ index: Type.Integer({ minimum: 0 }) })
  const params = compileStrings(Path as TSchema)
  t.same(params({ index: '3' }), { index: 3 })
  t.equal(problem(params, { index: 'x' }).param, 'index')
})

t.test('query keys like __proto__ stay plain data', async (t) => {
  const Query = Type.Object({})
  const object = queryObject(new URLSearchParams('__proto__=x&constructor=y'), Query)
  t.equal(Object.getPrototypeOf(object), Object.prototype)
  t.same(Object.keys(object).sort(), ['__proto__', 'constructor'])
})

t.test('a path id that fails its format is the 404 of an unknown id, first parameter first', async (t) => {
  const Path = Type.Object({ thread_id: ThreadId, run_id: RunId })
  const params = compilePathParams(Path)
  t.same(params({ thread_id: 'thread_a1', run_id: 'run_B2' }), { thread_id: 'thread_a1', run_id: 'run_B2' })
  const notFound = (input: Record<string, string>) => {
    try {
      params(input)
    } catch (error) {
      if (error instanceof NotFoundError) return { message: error.message, type: error.type, param: error.param }
      throw error
    }
    throw new Error('expected a 404')
  }
  t.same(notFound({ thread_id: '\u0000x', run_id: 'run_1' }), {
    message: "No thread found with id '\u0000x'.",
    type: 'invalid_request_error',
    param: null,
  })
  t.equal(notFound({ thread_id: 'run_1', run_id: 'run_1' }).message, "No thread found with id 'run_1'.", 'wrong kind')
  t.equal(notFound({ thread_id: 'thread_1', run_id: 'r'.repeat(5000) }).message.length, 5000 + 24)
  t.match(notFound({ thread_id: 'x', run_id: 'y' }).message, /^No thread found/, 'the first parameter is named')
  const Other = Type.Object({ step_id: StepId, index: Type.Integer() })
  t.equal(problem(compilePathParams(Other), { step_id: 'step_1', index: 'x' }).param, 'index', 'other params: 400')
})

t.test('an id in a body or query that fails its format is a 400 naming the field, worded as OpenAI', async (t) => {
  const Body = Type.Object({ assistant_id: AssistantId, thread: Type.Optional(Type.Object({ id: ThreadId })) })
  const body = compileJson(Body)
  t.same(problem(body, { assistant_id: 'thread_1' }), {
    message: "Invalid 'assistant_id': 'thread_1'. Expected an ID that begins with 'asst_'.",
    param: 'assistant_id',
    code: 'invalid_id_prefix',
  })
  t.same(problem(body, { assistant_id: 'asst_a-b' }), {
    message: "Invalid 'assistant_id': 'asst_a-b'. Expected an ID of 'asst_' followed by 1 to 64 letters or digits.",
    param: 'assistant_id',
    code: 'invalid_value',
  })
  t.equal(problem(body, { assistant_id: 'asst_1', thread: { id: 'x' } }).param, 'thread.id')
  t.match(
    problem(body, { assistant_id: `asst_${'a'.repeat(5000)}` }).message,
    /^Invalid 'assistant_id': 'asst_a+\.\.\.'/,
  )
  const Query = Type.Object(listQueryProperties('msg'))
  const query = compileStrings(Query)
  t.same(query(queryObject(new URLSearchParams('after=msg_1'), Query)), { limit: 20, order: 'desc', after: 'msg_1' })
  t.equal(problem(query, queryObject(new URLSearchParams('before=run_1'), Query)).param, 'before')
  t.same(
    problem(() => queryObject(new URLSearchParams('after=%00'), Query), null),
    {
      message: "Invalid 'after': the value contains a NUL character (\\u0000).",
      param: 'after',
      code: 'invalid_value',
    },
  )
})
