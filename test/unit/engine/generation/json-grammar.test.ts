import t from 'tap'
import { forcedCall } from '../../../../src/engine/generation/forced-call.js'
import { jsonSchemaGrammar } from '../../../../src/engine/generation/json-grammar.js'
import type { ToolDefinition } from '../../../../src/engine/types.js'

function rules(grammar: string | null): Record<string, string> {
  if (grammar === null) throw new Error('no grammar')
  return Object.fromEntries(grammar.split('\n').map((line) => line.split(' ::= ') as [string, string]))
}

t.test('jsonSchemaGrammar() writes compact JSON: no whitespace rule anywhere', async (t) => {
  const grammar = jsonSchemaGrammar({
    type: 'object',
    properties: {
      city: { type: 'string', enum: ['Paris', 'Rome'], description: 'the city' },
      days: { type: 'integer' },
      tags: { type: 'array', items: { type: 'string', maxLength: 4 }, maxItems: 3 },
    },
    required: ['city'],
    additionalProperties: false,
  })
  const r = rules(grammar)
  t.notMatch(grammar ?? '', /space|ws|\[ \\t\\n\]/, 'no whitespace rule')
  t.equal(r.root, 'r1', 'the root is the object rule')
  t.equal(
    r.r1,
    '"{" "\\"city\\"" ":" ("\\"Paris\\"" | "\\"Rome\\"") ("," "\\"days\\"" ":" integer)? ("," "\\"tags\\"" ":" r0)? "}"',
    'the required property first, then the optional ones, each with its comma',
  )
  t.equal(r.r0, '"[" ("\\"" char{0,4} "\\"" ("," "\\"" char{0,4} "\\""){0,2})? "]"', 'a bounded array of short strings')
  t.ok(r.integer && r['integral-part'] && r.char, 'the primitives it uses are defined')
  t.notOk(r.number, 'and only those')
})

t.test('jsonSchemaGrammar() lets any subset of optional properties appear in order', async (t) => {
  const r = rules(jsonSchemaGrammar({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'boolean' } } }))
  t.equal(r.r0, '"{" ("\\"a\\"" ":" number ("," "\\"b\\"" ":" boolean)? | "\\"b\\"" ":" boolean)? "}"')
})

t.test('jsonSchemaGrammar() covers const, type lists, anyOf, nested objects and free-form values', async (t) => {
  const r = rules(
    jsonSchemaGrammar({
      type: 'object',
      properties: {
        kind: { const: 'x"y' },
        maybe: { type: ['string', 'null'] },
        either: { anyOf: [{ type: 'integer' }, { type: 'object', properties: {}, additionalProperties: false }] },
        inner: { type: 'object', properties: { deep: {} }, required: ['deep'] },
        free: { type: 'object' },
      },
      required: ['kind', 'maybe', 'either', 'inner', 'free'],
    }),
  )
  const root = r[r.root ?? ''] ?? ''
  t.match(root, '"\\"x\\\\\\"y\\""', 'a const is its JSON text, escaped as a GBNF literal')
  t.match(root, '(string | null)')
  t.match(root, '(integer | "{}")', 'an object with no properties allowed is "{}"')
  t.match(root, '":" object', 'an object with no properties listed is any object')
  t.ok(
    Object.values(r).some((rule) => rule === '"{" "\\"deep\\"" ":" value "}"'),
    'an empty schema is any value',
  )
  t.ok(r.value && r.object && r.array, 'the generic value rules are defined')
})

t.test(
  'jsonSchemaGrammar() answers null for keywords it does not implement, so llama.cpp converts those',
  async (t) => {
    for (const schema of [
      { type: 'string', pattern: '^a+$' },
      { type: 'string', format: 'date' },
      { type: 'integer', minimum: 0 },
      { $ref: '#/$defs/x', $defs: { x: { type: 'string' } } },
      { allOf: [{ type: 'string' }] },
      { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true },
      { type: 'object', properties: { a: { type: 'string' } }, required: ['b'] },
      { type: 'array', prefixItems: [{ type: 'string' }] },
      { type: 'string', minLength: 5, maxLength: 2 },
      'not a schema',
    ])
      t.equal(jsonSchemaGrammar(schema), null, JSON.stringify(schema))
  },
)

const weather: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}
const time: ToolDefinition = { type: 'function', function: { name: 'get_time' } }

t.test('forcedCall(): one allowed function generates its arguments alone', async (t) => {
  const named = forcedCall({
    messages: [],
    tools: [weather, time],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    parallel_tool_calls: true,
  })
  t.equal(named.name, 'get_weather')
  t.same(rules('grammar' in named.body ? named.body.grammar : null).r0, '"{" "\\"city\\"" ":" string "}"')
  const calls = named.streamer().push('{"city":"Rome"}')
  t.match(calls, [
    { index: 0, name: 'get_weather', arguments: '' },
    { index: 0, arguments: '{"city":"Rome"}' },
  ])

  const single = forcedCall({ messages: [], tools: [time], tool_choice: 'required', parallel_tool_calls: true })
  t.equal(single.name, 'get_time')
  const r = rules('grammar' in single.body ? single.body.grammar : null)
  t.equal(r[r.root ?? ''], '"[" "{}" ("," "{}"){0,7} "]"', 'parallel: 1 to 8 argument objects; no parameters is {}')
})

t.test('forcedCall(): several functions generate compact name/arguments objects', async (t) => {
  const several = forcedCall({ messages: [], tools: [weather, time], tool_choice: 'required' })
  t.equal(several.name, null)
  const grammar = 'grammar' in several.body ? several.body.grammar : ''
  t.match(grammar, '"{" "\\"name\\"" ":" "\\"get_weather\\"" "," "\\"arguments\\"" ":"')
  t.match(grammar, '"{" "\\"name\\"" ":" "\\"get_time\\"" "," "\\"arguments\\"" ":" "{}" "}"')
  const calls = several.streamer().push('{"name":"get_time","arguments":{}}')
  t.match(calls, [
    { index: 0, name: 'get_time', arguments: '' },
    { index: 0, arguments: '{}' },
  ])
})

t.test('forcedCall(): a schema the converter does not cover goes to llama.cpp as a JSON schema', async (t) => {
  const ranged: ToolDefinition = {
    type: 'function',
    function: { name: 'f', parameters: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } } },
  }
  const call = forcedCall({ messages: [], tools: [ranged], tool_choice: 'required' })
  t.same(call.body, { json_schema: ranged.function.parameters })
})
