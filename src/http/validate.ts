import type { Static, TSchema } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import type { TLocalizedValidationError } from 'typebox/error'
import { Settings } from 'typebox/system'
import { idFormatOf, type IdFormat } from '../schemas/ids.js'
import { BadRequestError, NotFoundError } from './errors.js'
import { checkSafeText } from './safe-json.js'
import { describeValidationErrors, type ValidationProblem } from './validation-message.js'

/** A compiled check that returns the typed value or throws a 400 BadRequestError. */
export type Validate<T> = (input: unknown) => T

/** A compiled check that returns what is wrong with a value, or null. */
export type Inspect = (value: unknown) => ValidationProblem | null

const MAX_ERRORS = 256

/**
 * Collects a failed value's errors with a higher cap than typebox's default 8, which would cut off the union
 * branch that explains the failure; bounded all the same, and restored at once (this is synchronous).
 */
function collectErrors(validator: Validator, value: unknown): TLocalizedValidationError[] {
  const previous = Settings.Get().maxErrors
  Settings.Set({ maxErrors: Math.max(previous, MAX_ERRORS) })
  try {
    return validator.Errors(value)
  } finally {
    Settings.Set({ maxErrors: previous })
  }
}

function fail(problem: ValidationProblem): never {
  throw new BadRequestError(problem.message, { param: problem.param, code: problem.code })
}

/** Compiles a validator for a JSON body: checked as sent, never converted. */
export function compileJson<S extends TSchema>(schema: S): Validate<Static<S>> {
  const validator = Compile(schema)
  return (value) => {
    if (validator.Check(value)) return value as Static<S>
    return fail(describeValidationErrors(collectErrors(validator, value), value))
  }
}

/** Compiles a validator for path or query strings: `Convert` then `Default`, then `Check`. */
export function compileStrings<S extends TSchema>(schema: S): Validate<Static<S>> {
  const validator = Compile(schema)
  return (input) => {
    const value = validator.Default(validator.Convert(input))
    if (validator.Check(value)) return value as Static<S>
    return fail(describeValidationErrors(collectErrors(validator, value), value))
  }
}

/**
 * Compiles a validator for path parameters: a parameter declared as an object id (`ThreadId`, ...) that does not
 * match its format is a 404 naming that id, as an unknown id is (OpenAI: "No thread found with id 'x'."), checked
 * in declaration order before anything reaches the store; other failures are 400s as in `compileStrings`.
 */
export function compilePathParams<S extends TSchema>(schema: S): Validate<Static<S>> {
  const validate = compileStrings(schema)
  const properties = (schema as { properties?: Record<string, unknown> }).properties ?? {}
  const ids = Object.entries(properties).flatMap(([name, property]): Array<[string, IdFormat]> => {
    const format = idFormatOf(property)
    return format ? [[name, format]] : []
  })
  return (input) => {
    const params = input as Record<string, unknown>
    for (const [name, format] of ids) {
      const value = params[name]
      if (typeof value === 'string' && !format.pattern.test(value)) throw new NotFoundError(format.kind, value)
    }
    return validate(input)
  }
}

/** Compiles a reply check (for `validateReplies`), reporting instead of throwing. */
export function compileInspect(schema: TSchema): Inspect {
  const validator = Compile(schema)
  return (value) => (validator.Check(value) ? null : describeValidationErrors(collectErrors(validator, value), value))
}

function isArraySchema(schema: TSchema, key: string): boolean {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties
  return properties !== undefined && Object.hasOwn(properties, key) && properties[key]?.type === 'array'
}

/**
 * Turns query parameters into an object for `compileStrings`: one string per key, or every value for keys the
 * schema declares as arrays (`include[]=a&include[]=b` as openai-node sends it, or `include=a&include=b`).
 * A value with a NUL character is a 400 naming its key.
 */
export function queryObject(query: URLSearchParams, schema: TSchema): Record<string, string | string[]> {
  const out = new Map<string, string | string[]>() // a Map, then fromEntries: keys like __proto__ stay plain data
  for (const [rawKey, value] of query) {
    checkSafeText(value, rawKey) // `%00` decodes to NUL; no query value reaches a handler with one
    const key = rawKey.endsWith('[]') && isArraySchema(schema, rawKey.slice(0, -2)) ? rawKey.slice(0, -2) : rawKey
    if (isArraySchema(schema, key)) {
      const list = out.get(key)
      if (Array.isArray(list)) list.push(value)
      else out.set(key, [value])
    } else if (!out.has(key)) {
      out.set(key, value)
    }
  }
  return Object.fromEntries(out)
}
