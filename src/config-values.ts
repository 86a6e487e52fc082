// Parsers for single flag values (numbers, sizes, names, keys, templates): each takes the value and where it came
// from, and throws a ConfigError that names that flag or environment variable.
import { readFileSync } from 'node:fs'
import { editDistance } from './config-flags.js'

/** A bad flag or environment value; the message names the flag. */
export class ConfigError extends Error {
  /** The flag (or environment variable) at fault, when there is one. */
  readonly flag: string | null
  constructor(message: string, flag: string | null = null) {
    super(message)
    this.name = 'ConfigError'
    this.flag = flag
  }
}

/** A flag's value and where it came from (`--port`, `OXILLAMA_PORT`), for error messages. */
export type Source = { value: string; label: string }

// Built-in llama.cpp template names present in the wllama 3.8.1 engine (checked against the wasm's strings).
const TEMPLATE_NAMES = [
  'chatml',
  'llama2',
  'llama2-sys',
  'llama2-sys-bos',
  'llama2-sys-strip',
  'llama3',
  'llama4',
  'mistral-v1',
  'mistral-v3',
  'mistral-v3-tekken',
  'mistral-v7',
  'mistral-v7-tekken',
  'phi3',
  'falcon3',
  'zephyr',
  'monarch',
  'gemma',
  'orion',
  'vicuna',
  'vicuna-orca',
  'deepseek',
  'deepseek2',
  'deepseek3',
  'command-r',
  'glm4',
  'minicpm',
  'exaone3',
  'exaone4',
  'rwkv-world',
  'granite',
  'gigachat',
  'megrez',
  'yandex',
  'bailing',
  'bailing-think',
  'smolvlm',
  'hunyuan-moe',
  'hunyuan-dense',
  'gpt-oss',
  'kimi-k2',
  'seed_oss',
  'grok-2',
  'pangu-embedded',
  'solar-open',
]
function fail(source: Source, problem: string): ConfigError {
  return new ConfigError(`${source.label}: ${problem}, got '${source.value}'`, source.label)
}

export function text(source: Source | undefined): string | undefined {
  if (source === undefined) return undefined
  if (source.value.trim() === '') throw fail(source, 'must not be empty')
  return source.value
}

export function integer(source: Source | undefined, min: number, max: number): number | undefined {
  if (source === undefined) return undefined
  const value = source.value.trim()
  const number = /^-?\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw fail(source, `must be a whole number from ${min} to ${max}`)
  }
  return number
}

export function choice<T extends string>(source: Source | undefined, choices: readonly T[]): T | undefined {
  if (source === undefined) return undefined
  const found = choices.find((option) => option === source.value.trim().toLowerCase())
  if (found === undefined) throw fail(source, `must be one of ${choices.join(', ')}`)
  return found
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
}

/** Bytes from '1048576', '512k', '10mb', '1.5MiB' (binary multiples, like the `bytes` package). */
export function byteSize(source: Source | undefined): number | undefined {
  if (source === undefined) return undefined
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(source.value.trim())
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()]
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : Number.NaN
  if (!(bytes >= 1024 && bytes <= 1024 ** 3))
    throw fail(source, 'must be a size from 1kb to 1gb, such as 512k, 10mb or 1048576')
  return bytes
}

export function modelSource(source: Source | undefined): string | undefined {
  const value = text(source)
  if (source === undefined || value === undefined) return undefined
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase()
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https')
    throw fail(source, 'must be a file path or an http(s) URL')
  return value
}

export function hfRepo(source: Source | undefined): string | undefined {
  const value = text(source)
  if (source === undefined || value === undefined) return undefined
  if (!/^[\w.-]+\/[\w.-]+$/.test(value)) throw fail(source, 'must look like owner/name')
  return value
}

export function sha256(source: Source | undefined): string | undefined {
  const value = text(source)
  if (source === undefined || value === undefined) return undefined
  if (!/^[0-9a-f]{64}$/i.test(value.trim())) throw fail(source, 'must be 64 hex digits')
  return value.trim().toLowerCase()
}

export function host(source: Source | undefined): string | undefined {
  const value = text(source)
  if (source === undefined || value === undefined) return undefined
  if (/[\s/]/.test(value)) throw fail(source, 'must be a host name or IP address')
  return value
}

/** Comma-separated, repeatable values, trimmed and de-duplicated. */
export function names(sources: Source[], what: string): string[] {
  const found = new Set<string>()
  for (const source of sources) {
    for (const part of source.value.split(',')) {
      const name = part.trim()
      if (name === '') throw fail(source, `has an empty ${what}`)
      found.add(name)
    }
  }
  return [...found]
}

/** The keys of --api-key-file: one a line, blank lines and `#` comments skipped; a file without keys is an error. */
export function keyFile(source: Source | undefined): string[] {
  const file = text(source)
  if (source === undefined || file === undefined) return []
  let content: string
  try {
    content = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError(`${source.label}: cannot read '${file}': ${(error as Error).message}`, source.label)
  }
  const keys = content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  // an empty file would silently turn authentication off
  if (keys.length === 0) throw new ConfigError(`${source.label}: no keys in '${file}'`, source.label)
  const spaced = keys.findIndex((key) => /\s/.test(key))
  if (spaced !== -1) throw new ConfigError(`${source.label}: key ${spaced + 1} in '${file}' has a space`, source.label)
  return keys
}

export function publicRoutes(sources: Source[]): string[] {
  const routes = names(sources, 'route')
  const bad = routes.find((route) => !route.startsWith('/'))
  if (bad !== undefined) {
    const source = sources.find((s) => s.value.includes(bad)) ?? { value: bad, label: '--public-routes' }
    throw new ConfigError(`${source.label}: each route must start with '/', got '${bad}'`, source.label)
  }
  return routes
}

export function corsOrigins(sources: Source[]): string[] {
  const origins = names(sources, 'origin')
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/i.test(origin)) {
      const source = sources.find((s) => s.value.includes(origin)) ?? { value: origin, label: '--cors-origin' }
      throw new ConfigError(
        `${source.label}: each origin must be '*' or scheme://host[:port] without a path, got '${origin}'`,
        source.label,
      )
    }
  }
  return origins.includes('*') ? ['*'] : origins
}

export function chatTemplate(source: Source | undefined): string | undefined {
  const value = text(source)
  if (source === undefined || value === undefined) return undefined
  // Jinja source always has a tag; a bare word that is no built-in name would render as constant text
  if (value.includes('{{') || value.includes('{%')) return value
  const name = value.trim().toLowerCase()
  if (TEMPLATE_NAMES.includes(name)) return name
  const guess = [...TEMPLATE_NAMES].sort((a, b) => editDistance(name, a) - editDistance(name, b))[0]
  const hint = guess !== undefined && editDistance(name, guess) <= 2 ? ` (did you mean ${guess}?)` : ''
  throw new ConfigError(
    `${source.label}: unknown template name '${value}'${hint}; built-in names are ` +
      `${TEMPLATE_NAMES.join(', ')}; pass Jinja source or --chat-template-file for a custom template`,
    source.label,
  )
}
