// A JSON schema to GBNF converter for compact JSON: the rules follow llama.cpp's json-schema-to-grammar (same
// primitives, properties in schema order with the required ones first, no additional properties unless asked for)
// but its `space` rule, which lets the model emit up to 20 blanks or newlines after every token of JSON, is empty:
// the model spends its tokens on values, and the text comes out as JSON.stringify would write it.
// It covers the schema keywords tool parameters use; for any other keyword it answers null and the caller hands
// the schema to llama.cpp's own converter, which knows them all.

type Schema = Record<string, unknown>

const PRIMITIVES: Record<string, { rule: string; uses: string[] }> = {
  boolean: { rule: '"true" | "false"', uses: [] },
  null: { rule: '"null"', uses: [] },
  char: { rule: '[^"\\\\\\x7F\\x00-\\x1F] | [\\\\] (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})', uses: [] },
  'integral-part': { rule: '[0] | [1-9] [0-9]{0,15}', uses: [] },
  'decimal-part': { rule: '[0-9]{1,16}', uses: [] },
  integer: { rule: '"-"? integral-part', uses: ['integral-part'] },
  number: {
    rule: '"-"? integral-part ("." decimal-part)? ([eE] [-+]? integral-part)?',
    uses: ['integral-part', 'decimal-part'],
  },
  string: { rule: '"\\"" char* "\\""', uses: ['char'] },
  object: { rule: '"{" (string ":" value ("," string ":" value)*)? "}"', uses: ['string', 'value'] },
  array: { rule: '"[" (value ("," value)*)? "]"', uses: ['value'] },
  value: {
    rule: 'object | array | string | number | boolean | null',
    uses: ['object', 'array', 'string', 'number', 'boolean', 'null'],
  },
}

// Keywords that only annotate: they do not change which values are valid
const ANNOTATIONS = new Set(['description', 'title', 'default', 'examples', '$schema', '$id', '$comment', 'deprecated'])
const HANDLED = new Set([
  'type',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
])

class Unsupported extends Error {}

/** A GBNF grammar for compact JSON text valid against the schema, or null when the schema uses other keywords. */
export function jsonSchemaGrammar(schema: unknown): string | null {
  const rules = new Map<string, string>()
  const used = new Set<string>()
  try {
    rules.set('root', expression(schema, { rules, used }))
  } catch (error) {
    if (error instanceof Unsupported) return null
    throw error
  }
  const pending = [...used]
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const primitive = PRIMITIVES[name]
    if (!primitive || rules.has(name)) continue
    rules.set(name, primitive.rule)
    pending.push(...primitive.uses)
  }
  return [...rules].map(([name, rule]) => `${name} ::= ${rule}`).join('\n')
}

interface Builder {
  rules: Map<string, string>
  used: Set<string>
}

function expression(schema: unknown, b: Builder): string {
  if (schema === true || (isObject(schema) && Object.keys(schema).every((k) => ANNOTATIONS.has(k))))
    return primitive('value', b)
  if (!isObject(schema)) throw new Unsupported()
  for (const key of Object.keys(schema)) if (!HANDLED.has(key) && !ANNOTATIONS.has(key)) throw new Unsupported()
  if ('const' in schema) return literal(JSON.stringify(schema.const))
  if (Array.isArray(schema.enum)) return alternatives(schema.enum.map((v) => literal(JSON.stringify(v))))
  const variants = schema.anyOf ?? schema.oneOf
  if (variants !== undefined) {
    if (!Array.isArray(variants) || variants.length === 0 || schema.type !== undefined) throw new Unsupported()
    return alternatives(variants.map((v) => expression(v, b)))
  }
  const types = Array.isArray(schema.type) ? (schema.type as unknown[]) : [schema.type]
  return alternatives(types.map((type) => typed(type, schema, b)))
}

function typed(type: unknown, schema: Schema, b: Builder): string {
  switch (type) {
    case 'string':
      return stringRule(schema, b)
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return primitive(type, b)
    case 'object':
      return objectRule(schema, b)
    case 'array':
      return arrayRule(schema, b)
    case undefined:
      if (schema.properties !== undefined) return objectRule(schema, b)
      if (schema.items !== undefined) return arrayRule(schema, b)
      return primitive('value', b)
    default:
      throw new Unsupported()
  }
}

function stringRule(schema: Schema, b: Builder): string {
  if (schema.minLength === undefined && schema.maxLength === undefined) return primitive('string', b)
  const min = count(schema.minLength) ?? 0
  const max = count(schema.maxLength)
  return `"\\"" ${primitive('char', b)}${repeat(min, max)} "\\""`
}

function objectRule(schema: Schema, b: Builder): string {
  const properties = schema.properties ?? {}
  const extra = schema.additionalProperties
  if (!isObject(properties)) throw new Unsupported()
  const names = Object.keys(properties)
  if (names.length === 0 && schema.properties === undefined && extra !== false) return primitive('object', b)
  if (extra !== undefined && extra !== false) throw new Unsupported()
  const required = Array.isArray(schema.required) ? schema.required : []
  if (required.some((r) => typeof r !== 'string' || !names.includes(r))) throw new Unsupported()
  const kv = (name: string) => `${literal(JSON.stringify(name))} ":" ${expression(properties[name], b)}`
  const first = names.filter((n) => required.includes(n)).map(kv)
  const optional = names.filter((n) => !required.includes(n)).map(kv)
  let body: string
  if (first.length > 0) body = [first.join(' "," '), ...optional.map((o) => `("," ${o})?`)].join(' ')
  else if (optional.length === 0) body = ''
  else {
    // with no required property the first one present has no comma before it
    const tails = optional.map((_, i) =>
      optional
        .slice(i + 1)
        .map((o) => `("," ${o})?`)
        .join(' '),
    )
    body = `(${optional.map((o, i) => `${o} ${tails[i]}`.trim()).join(' | ')})?`
  }
  return body === '' ? literal('{}') : rule(`"{" ${body} "}"`, b)
}

function arrayRule(schema: Schema, b: Builder): string {
  const item = schema.items === undefined ? primitive('value', b) : expression(schema.items, b)
  const min = count(schema.minItems) ?? 0
  const max = count(schema.maxItems)
  if (max === 0) return literal('[]')
  const rest = `("," ${item})${repeat(Math.max(min - 1, 0), max === undefined ? undefined : max - 1)}`
  const items = `${item} ${rest}`
  return rule(min === 0 ? `"[" (${items})? "]"` : `"[" ${items} "]"`, b)
}

// A named rule keeps nested objects and arrays readable and the grammar small
function rule(body: string, b: Builder): string {
  for (const [name, existing] of b.rules) if (existing === body && name !== 'root') return name
  const name = `r${b.rules.size}`
  b.rules.set(name, body)
  return name
}

function primitive(name: string, b: Builder): string {
  b.used.add(name)
  return name
}

function alternatives(options: string[]): string {
  if (options.length === 0) throw new Unsupported()
  return options.length === 1 ? (options[0] as string) : `(${options.join(' | ')})`
}

function repeat(min: number, max: number | undefined): string {
  if (max !== undefined && max < min) throw new Unsupported()
  if (min === 0 && max === undefined) return '*'
  if (min === 1 && max === undefined) return '+'
  if (min === 0 && max === 1) return '?'
  return max === undefined ? `{${min},}` : `{${min},${max}}`
}

function count(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Unsupported()
  return value
}

/** A GBNF string literal matching exactly `text`. */
function literal(text: string): string {
  const escaped = text.replace(/[\\"\n\r\t]|[\x00-\x1f\x7f]/g, (ch) => {
    if (ch === '\\' || ch === '"') return `\\${ch}`
    if (ch === '\n') return '\\n'
    if (ch === '\r') return '\\r'
    if (ch === '\t') return '\\t'
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`
  })
  return `"${escaped}"`
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
