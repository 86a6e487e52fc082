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
