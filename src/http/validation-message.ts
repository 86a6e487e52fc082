import type { TLocalizedValidationError as SchemaError } from 'typebox/error'
import { ID_SUFFIX_MAX_LENGTH, idFormatOf, type IdFormat } from '../schemas/ids.js'

/** The message and OpenAI-style `param` (`messages[2].content`) describing why a value failed its schema. */
export type ValidationProblem = { message: string; param: string | null; code: string | null }

const ROOT_NAME = 'the request body'

function segments(pointer: string): string[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** Walks the value along the pointer, naming array steps `[n]` and object steps `.key`. */
function locate(value: unknown, pointer: string): { param: string | null; at: unknown } {
  let param = ''
  let at = value
  for (const key of segments(pointer)) {
    if (Array.isArray(at)) {
      param += `[${key}]`
      at = at[Number(key)]
    } else {
      param += param === '' ? key : `.${key}`
      at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined
    }
  }
  return { param: param === '' ? null : param, at }
}

function branchIndex(error: SchemaError, prefix: string): number {
  if (!error.schemaPath.startsWith(prefix)) return -1
  return Number.parseInt(error.schemaPath.slice(prefix.length), 10)
}

/** A branch of a union of objects failed on a literal property (`type`, `role`): it was not the one meant. */
function isDiscriminatorMiss(error: SchemaError, union: SchemaError, live: SchemaError[]): boolean {
  const rest = error.schemaPath.slice(union.schemaPath.length)
  if (!/^\/anyOf\/\d+\/properties\/[^/]+$/.test(rest)) return false
  if (segments(error.instancePath).length !== segments(union.instancePath).length + 1) return false
  if (error.keyword === 'const' || error.keyword === 'enum') return true
  if (error.keyword !== 'anyOf') return false
  const inner = live.filter((e) => e.schemaPath.startsWith(`${error.schemaPath}/anyOf/`))
  return inner.every((e) => e.keyword === 'const' || e.keyword === 'enum' || e.keyword === 'anyOf')
}

/** Drops the errors of union branches that were clearly not meant, outermost union first. */
function pruneUnions(errors: SchemaError[]): SchemaError[] {
  let live = errors.filter((e) => !e.schemaPath.includes('/propertyNames'))
  const unions = live.filter((e) => e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length)
  for (const union of unions) {
    if (!live.includes(union)) continue
    const prefix = `${union.schemaPath}/anyOf/`
    const inUnion = live.filter((e) => branchIndex(e, prefix) >= 0)
    const misses = inUnion.filter((e) => isDiscriminatorMiss(e, union, live))
    const missed = new Set(misses.map((e) => branchIndex(e, prefix)))
    if (missed.size === 0) continue
    if (missed.size < new Set(inUnion.map((e) => branchIndex(e, prefix))).size) {
      live = live.filter((e) => !missed.has(branchIndex(e, prefix)))
    } else {
      // No branch matched its discriminator: the discriminator itself is the problem
      live = live.filter(
        (e) => branchIndex(e, prefix) < 0 || misses.some((m) => e === m || e.schemaPath.startsWith(`${m.schemaPath}/`)),
      )
    }
  }
  return live.filter((e) => e.keyword !== 'anyOf')
}

function depth(error: SchemaError): number {
  return segments(error.instancePath).length + (error.keyword === 'required' ? 1 : 0)
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

function sameType(a: string, b: string): boolean {
  const base = (t: string) => (t === 'integer' ? 'number' : t)
  return base(a) === base(b)
}

const ARTICLES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
  undefined: 'nothing',
}

function describeType(type: string): string {
  return ARTICLES[type] ?? type
}

function describeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal number'
  return describeType(jsonType(value))
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 80 ? `${value.slice(0, 80)}...` : value}'`
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 80)}...` : text
}

function listTypes(types: string[]): string {
  const unique = [...new Set(types)]
  const shown = unique.length > 1 ? unique.filter((t) => t !== 'null') : unique
  const words = shown.map(describeType)
  return words.length <= 2 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`
}

function typeMessage(name: string, expected: string[], value: unknown): string {
  const subject = name === ROOT_NAME ? ROOT_NAME : `'${name}'`
  return `Invalid type for ${subject}: expected ${listTypes(expected)}, but got ${describeValue(value)}.`
}

function constraintMessage(error: SchemaError, name: string, value: unknown, all: SchemaError[]): string {
  const subject = name === ROOT_NAME ? ROOT_NAME : `'${name}'`
  const kind = typeof value === 'number' && Number.isInteger(value) ? 'integer' : 'decimal'
  const length = typeof value === 'string' ? Array.from(value).length : Array.isArray(value) ? value.length : 0
  switch (error.keyword) {
    case 'minimum':
    case 'exclusiveMinimum':
      return `Invalid ${subject}: ${kind} below minimum value. Expected a value ${error.keyword === 'minimum' ? '>=' : '>'} ${error.params.limit}, but got ${show(value)} instead.`
    case 'maximum':
    case 'exclusiveMaximum':
      return `Invalid ${subject}: ${kind} above maximum value. Expected a value ${error.keyword === 'maximum' ? '<=' : '<'} ${error.params.limit}, but got ${show(value)} instead.`
    case 'minLength':
      return `Invalid ${subject}: string too short. Expected a string with minimum length ${error.params.limit}, but got ${length === 0 ? 'an empty string' : `a string with length ${length}`} instead.`
    case 'maxLength':
      return `Invalid ${subject}: string too long. Expected a string with maximum length ${error.params.limit}, but got a string with length ${length} instead.`
    case 'minItems':
      return length === 0
        ? `Invalid ${subject}: empty array. Expected an array with minimum length ${error.params.limit}, but got an empty array instead.`
        : `Invalid ${subject}: array too short. Expected an array with minimum length ${error.params.limit}, but got an array with length ${length} instead.`
    case 'maxItems':
      return `Invalid ${subject}: array too long. Expected an array with maximum length ${error.params.limit}, but got an array with length ${length} instead.`
    case 'maxProperties':
    case 'minProperties': {
      const count = value !== null && typeof value === 'object' ? Object.keys(value).length : 0
      const bound = error.keyword === 'maxProperties' ? 'at most' : 'at least'
      return `Invalid ${subject}: expected an object with ${bound} ${error.params.limit} properties, but got ${count} instead.`
    }
    case 'pattern':
      return `Invalid ${subject}: string does not match pattern. Expected a string that matches the pattern '${String(error.params.pattern)}'.`
    case 'format':
      return `Invalid ${subject}: expected a string in the '${error.params.format}' format.`
    case 'multipleOf':
      return `Invalid ${subject}: expected a multiple of ${error.params.multipleOf}, but got ${show(value)} instead.`
    case 'uniqueItems':
      return `Invalid ${subject}: array items must be unique.`
    case 'additionalProperties':
      return `Unrecognized request argument supplied: ${error.params.additionalProperties.join(', ')}`
    case 'propertyNames': {
      const key = show(error.params.propertyNames[0])
      const inner = all.find((e) => e.schemaPath.startsWith(`${error.schemaPath}/propertyNames`))
      if (inner?.keyword === 'maxLength')
        return `Invalid ${subject}: key ${key} too long. Expected keys with maximum length ${inner.params.limit}.`
      return `Invalid ${subject}: invalid key ${key}.`
    }
    case '~refine':
      return `Invalid ${subject}: ${error.params.message}`
    default:
      return `Invalid ${subject}: ${error.message}.`
  }
}

function constraintCode(error: SchemaError, value: unknown): string | null {
  const kind = typeof value === 'number' && Number.isInteger(value) ? 'integer' : 'decimal'
  const size = Array.isArray(value) ? value.length : -1
  switch (error.keyword) {
    case 'minimum':
    case 'exclusiveMinimum':
      return `${kind}_below_min_value`
    case 'maximum':
    case 'exclusiveMaximum':
      return `${kind}_above_max_value`
    case 'minLength':
      return 'string_below_min_length'
    case 'maxLength':
      return 'string_above_max_length'
    case 'minItems':
      return size === 0 ? 'empty_array' : 'array_below_min_length'
    case 'maxItems':
      return 'array_above_max_length'
    default:
      return null
  }
}

/** An id that fails its format, worded as OpenAI does: "Invalid 'assistant_id': 'x'. Expected an ID that begins with 'asst'." */
function idProblem(format: IdFormat, name: string, param: string | null, value: unknown): ValidationProblem {
  const subject = name === ROOT_NAME ? ROOT_NAME : `'${name}'`
  const { start } = format
  if (typeof value === 'string' && !value.startsWith(start))
    return {
      message: `Invalid ${subject}: ${show(value)}. Expected an ID that begins with '${start}'.`,
      param,
      code: 'invalid_id_prefix',
    }
  return {
    message: `Invalid ${subject}: ${show(value)}. Expected an ID of '${start}' followed by 1 to ${ID_SUFFIX_MAX_LENGTH} letters or digits.`,
    param,
    code: 'invalid_value',
  }
}

/**
 * Picks the most telling of a failed check's errors (the deepest path, after dropping union branches whose
 * discriminator did not match) and phrases it as OpenAI does: `Missing required parameter: 'model'.`,
 * `Invalid type for 'temperature': expected a number, but got a string.`, `'abc' is not one of ['asc', 'desc'] - 'order'`.
 */
export function describeValidationErrors(errors: SchemaError[], value: unknown): ValidationProblem {
  const live = pruneUnions(errors)
  const first = live.reduce<SchemaError | undefined>(
    (best, e) => (best === undefined || depth(e) > depth(best) ? e : best),
    undefined,
  )
  if (first === undefined) return { message: 'Invalid request.', param: null, code: null }
  const { param, at } = locate(value, first.instancePath)
  if (first.keyword === 'required') {
    const missing = first.params.requiredProperties[0] ?? ''
    const full = param === null ? missing : `${param}.${missing}`
    return { message: `Missing required parameter: '${full}'.`, param: full, code: 'missing_required_parameter' }
  }
  const name = param ?? ROOT_NAME
  const here = live.filter((e) => e.instancePath === first.instancePath && e.keyword !== 'required')
  const constraint = here.find((e) => !['type', 'const', 'enum'].includes(e.keyword))
  const id = constraint?.keyword === 'pattern' ? idFormatOf({ pattern: constraint.params.pattern }) : undefined
  if (id) return idProblem(id, name, param, at)
  if (constraint)
    return { message: constraintMessage(constraint, name, at, errors), param, code: constraintCode(constraint, at) }
  const allowed: unknown[] = []
  for (const e of here) {
    if (e.keyword === 'const') allowed.push(e.params.allowedValue)
    if (e.keyword === 'enum') allowed.push(...e.params.allowedValues)
  }
  const valueType = jsonType(at)
  if (allowed.length > 0 && allowed.some((a) => sameType(jsonType(a), valueType))) {
    const list = [...new Set(allowed)].map(show).join(', ')
    return { message: `${show(at)} is not one of [${list}] - '${name}'`, param, code: null }
  }
  const expected = here.flatMap((e) => (e.keyword === 'type' ? [e.params.type].flat() : []))
  expected.push(...allowed.map(jsonType))
  return { message: typeMessage(name, expected, at), param, code: 'invalid_type' }
}
