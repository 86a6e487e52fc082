import type { Test } from 'tap'
import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { Settings } from 'typebox/system'

/**
 * Checks a value and lists the instancePath of every error, collecting up to 256 as src/http/validate.ts does
 * (typebox's default 8 cuts off the union branch that was meant).
 */
export function schemaErrors(schema: TSchema, value: unknown): { valid: boolean; paths: string[] } {
  const validator = Compile(schema)
  const previous = Settings.Get().maxErrors
  Settings.Set({ maxErrors: 256 })
  try {
    return { valid: validator.Check(value), paths: validator.Errors(value).map((e) => e.instancePath) }
  } finally {
    Settings.Set({ maxErrors: previous })
  }
}

/** Asserts the value fails, with an error at `path` and none outside that field (the stream variant aside). */
export function failsAt(t: Test, schema: TSchema, value: unknown, path: string): void {
  const { valid, paths } = schemaErrors(schema, value)
  const field = path.split('/').slice(0, 2).join('/')
  t.notOk(valid, `${JSON.stringify(value).slice(0, 160)} fails`)
  t.ok(paths.includes(path), `an error at ${path} (got ${[...new Set(paths)].join(', ')})`)
  const stray = paths.filter((p) => p !== '' && p !== '/stream' && p !== field && !p.startsWith(`${field}/`))
  t.same(stray, [], `no errors outside ${field}`)
}
