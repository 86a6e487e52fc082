import t from 'tap'
import { ApiError } from '../../../src/http/errors.js'
import { parseJsonBody } from '../../../src/http/json-body.js'
import { checkSafeJson, checkSafeText, MAX_JSON_DEPTH } from '../../../src/http/safe-json.js'

/** The 400 a call throws, as {message, param, code}. */
function refusal(call: () => unknown): { message: string; param: string | null; code: string | null } {
  try {
    call()
  } catch (error) {
    if (error instanceof ApiError && error.status === 400)
      return { message: error.message, param: error.param, code: error.code }
    throw error
  }
  throw new Error('expected a 400')
}

function nested(depth: number): unknown {
  let value: unknown = 'x'
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

const encoder = new TextEncoder()

t.test('checkSafeJson() passes ordinary bodies, paired surrogates (emoji) and escaped text included', async (t) => {
  const body = {
    model: 'm',
    messages: [{ role: 'user', content: 'héllo 🦙 \\u0000 is text here, "quoted"\n' }],
    metadata: { 'clé 🦙': 'välue' },
    tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
    n: 1,
    flag: null,
  }
  t.doesNotThrow(() => checkSafeJson(body))
  t.doesNotThrow(() => checkSafeJson(nested(MAX_JSON_DEPTH - 1)))
  for (const scalar of [null, 1, 'x', true]) t.doesNotThrow(() => checkSafeJson(scalar))
})

t.test('checkSafeJson() refuses a NUL character and names the field in OpenAI form', async (t) => {
  t.same(
    refusal(() => checkSafeJson({ messages: [{ role: 'user', content: 'a' }, { content: ['ok', 'b\u0000'] }] })),
    {
      message: "Invalid 'messages[1].content[1]': the string contains a NUL character (\\u0000).",
      param: 'messages[1].content[1]',
      code: 'invalid_value',
    },
  )
  t.equal(refusal(() => checkSafeJson({ name: '\u0000' })).param, 'name')
  t.same(refusal(() => checkSafeJson('\u0000')).param, null, 'the body itself')
  t.match(refusal(() => checkSafeJson('\u0000')).message, /^Invalid request body: the string contains a NUL/)
})

t.test('checkSafeJson() refuses unpaired surrogates, high or low, and keeps the first problem', async (t) => {
  const high = refusal(() => checkSafeJson({ instructions: 'a\ud800b' }))
  t.equal(high.param, 'instructions')
  t.match(high.message, /unpaired surrogate \(\\ud800\)/)
  t.match(refusal(() => checkSafeJson({ name: 'x\udc00' })).message, /\\udc00/)
  t.match(refusal(() => checkSafeJson({ name: '\udfff\ud800' })).message, /\\udfff/, 'a reversed pair is two lone ones')
  t.equal(refusal(() => checkSafeJson({ a: 'ok', b: '\u0000', c: '\ud800' })).param, 'b', 'first in order')
})

t.test('checkSafeJson() refuses bad object keys, naming the object that holds them', async (t) => {
  const key = refusal(() => checkSafeJson({ metadata: { ok: 'v', 'k\u0000': 'v' } }))
  t.equal(key.param, 'metadata')
  t.equal(key.message, 'Invalid \'metadata\': the key "k\\u0000" contains a NUL character (\\u0000).')
  t.equal(refusal(() => checkSafeJson({ thread: { metadata: { '\ud800': 'v' } } })).param, 'thread.metadata')
  t.equal(refusal(() => checkSafeJson({ '\u0000': 1 })).param, null)
})

t.test(
  'checkSafeJson() refuses nesting past the limit, naming the top-level field, without a stack overflow',
  async (t) => {
    const deep = refusal(() => checkSafeJson({ model: 'm', tools: nested(MAX_JSON_DEPTH + 1) }))
    t.equal(deep.param, 'tools')
    t.match(deep.message, `nested more than ${MAX_JSON_DEPTH} levels deep`)
    t.equal(refusal(() => checkSafeJson({ tools: nested(200_000) })).param, 'tools', '200,000 levels: a 400')
  },
)

t.test('parseJsonBody() applies the check to every JSON body: escapes of NUL and lone surrogates', async (t) => {
  const parse = (text: string) => parseJsonBody(encoder.encode(text), 'application/json')
  t.same(parse('{"a":"\\ud83e\\udd99"}'), { a: '🦙' }, 'an escaped pair is one character')
  t.same(parse('{"a":"\\\\u0000"}'), { a: '\\u0000' }, 'an escaped backslash before u0000 is text')
  t.equal(refusal(() => parse('{"a":"\\u0000"}')).param, 'a')
  t.equal(refusal(() => parse('{"a":["\\uD800"]}')).param, 'a[0]')
  t.equal(refusal(() => parse(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`)).param, 'a')
})

t.test('checkSafeText() refuses a query value with NUL, naming its key', async (t) => {
  t.doesNotThrow(() => checkSafeText('msg_abc', 'after'))
  t.same(
    refusal(() => checkSafeText('\u0000', 'after')),
    {
      message: "Invalid 'after': the value contains a NUL character (\\u0000).",
      param: 'after',
      code: 'invalid_value',
    },
  )
})
