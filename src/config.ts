import os from 'node:os'
import path from 'node:path'
import { editDistance, envName, findFlag, FLAGS, formatHelp, suggestFlag, type FlagSpec } from './config-flags.js'
import {
  ConfigError,
  text,
  integer,
  choice,
  byteSize,
  modelSource,
  hfRepo,
  sha256,
  host,
  names,
  keyFile,
  publicRoutes,
  corsOrigins,
  chatTemplate,
  type Source,
} from './config-values.js'

export { ConfigError }

/** Which engine build to run: ours with SIMD kernels (simd), wllama's JSPI + memory64 (main) or its wasm32 (compat). */
export type EngineBuildChoice = 'simd' | 'relaxed' | 'main' | 'compat' | 'auto'
/** Which HTTP server to run: uWebSockets.js, node:http, or uWS when its binary loads. */
export type TransportChoice = 'auto' | 'uws' | 'node'
/** Least severe log level that is printed. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug'

/** The server's settings, from command-line flags and OXILLAMA_* environment variables. */
export interface Config {
  /** A local GGUF path or an http(s) URL; unset when the model comes from --hf-repo or none is given. */
  model?: string | undefined
  hfRepo?: string | undefined
  hfFile?: string | undefined
  hfRevision: string
  hfToken?: string | undefined
  /** Lower-case hex sha256 the model file must have. */
  sha256?: string | undefined
  /** The model's public names (the `model` field); empty means derived from the file name. */
  aliases: string[]
  host: string
  port: number
  threads: number
  ctxSize: number
  parallel: number
  batchSize: number
  queueSize: number
  engineBuild: EngineBuildChoice
  /** A llama.cpp built-in template name or Jinja source. */
  chatTemplate?: string | undefined
  /** Path of a Jinja template file (read by main). */
  chatTemplateFile?: string | undefined
  /** Accepted bearer keys (from --api-key and --api-key-file); empty means no authentication. */
  apiKeys: string[]
  /** Routes (as registered, such as /v1/models) answered without a key, besides /health. */
  publicRoutes: string[]
  /** Requests per minute per key (per client address without keys); 0 means no limit. */
  rateLimitRpm: number
  /** Tokens per minute per key (per client address without keys); 0 means no limit. */
  rateLimitTpm: number
  transport: TransportChoice
  /** Largest request body in bytes. */
  maxBody: number
  /** Largest uploaded file in bytes (POST /v1/files, uploads). */
  maxFileSize: number
  /** Allowed CORS origins ('*' for any); empty means CORS is off. */
  corsOrigins: string[]
  dataDir: string
  /** Where downloaded models are kept (default <data-dir>/models). */
  cacheDir: string
  logLevel: LogLevel
  logFormat: 'text' | 'json'
  help: boolean
  version: boolean
}

/** Options for parseConfig; tests set the core count. */
export interface ParseConfigOptions {
  /** Cores available to the process (default os.availableParallelism()). */
  cores?: number
}

/** The --help text: usage, every flag with its default, and how the environment sets them. */
export const HELP_TEXT: string = formatHelp(FLAGS)

const MIN_CTX_PER_SLOT = 64
const MAX_THREADS = 256

/** A subcommand of the CLI; `start` is the default when the first argument is a flag. */
export type Command = 'start' | 'pull'

/** Splits the subcommand (`start`, `pull`) off argv; without one the command is `start`. */
export function splitCommand(argv: string[]): { command: Command; args: string[] } {
  const first = argv[0]
  if (first === 'start' || first === 'pull') return { command: first, args: argv.slice(1) }
  return { command: 'start', args: argv }
}

/** Parses argv (without node and script) and env into a checked Config; throws ConfigError on any bad value. */
export function parseConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  options: ParseConfigOptions = {},
): Config {
  const given = readArgs(argv)
  const get = (name: string): Source | undefined => {
    const values = given.get(name)
    const last = values?.at(-1)
    if (last !== undefined) return { value: last, label: `--${name}` }
    return fromEnv(spec(name), env)
  }
  const list = (name: string): Source[] => {
    const values = given.get(name)
    if (values !== undefined) return values.map((value) => ({ value, label: `--${name}` }))
    const found = fromEnv(spec(name), env)
    return found ? [found] : []
  }
  const cores = Math.max(1, Math.floor(options.cores ?? os.availableParallelism()))
  const dataDir = text(get('data-dir')) ?? './data'
  const config: Config = {
    model: modelSource(get('model')),
    hfRepo: hfRepo(get('hf-repo')),
    hfFile: text(get('hf-file')),
    hfRevision: text(get('hf-revision')) ?? 'main',
    hfToken: text(get('hf-token')),
    sha256: sha256(get('sha256')),
    aliases: names(list('alias'), 'alias'),
    host: host(get('host')) ?? '127.0.0.1',
    port: integer(get('port'), 0, 65535) ?? 8080,
    threads: integer(get('threads'), 1, MAX_THREADS) ?? Math.min(cores, 8),
    ctxSize: integer(get('ctx-size'), 256, 1 << 20) ?? 4096,
    parallel: integer(get('parallel'), 1, 256) ?? 4,
    batchSize: integer(get('batch-size'), 1, 8192) ?? 64, // bench/n-batch.ts: same prompt speed as 128-512, half the stall of 128
    queueSize: integer(get('queue-size'), 0, 65536) ?? 64,
    engineBuild: choice(get('engine-build'), ['simd', 'relaxed', 'main', 'compat', 'auto'] as const) ?? 'auto',
    chatTemplate: chatTemplate(get('chat-template')),
    chatTemplateFile: text(get('chat-template-file')),
    apiKeys: [...new Set([...names(list('api-key'), 'key'), ...keyFile(get('api-key-file'))])],
    publicRoutes: publicRoutes(list('public-routes')),
    rateLimitRpm: integer(get('rate-limit-rpm'), 0, 1e9) ?? 0,
    rateLimitTpm: integer(get('rate-limit-tpm'), 0, 1e12) ?? 0,
    transport: choice(get('transport'), ['auto', 'uws', 'node'] as const) ?? 'auto',
    maxBody: byteSize(get('max-body')) ?? 10 * 1024 * 1024,
    maxFileSize: byteSize(get('max-file-size')) ?? 512 * 1024 * 1024,
    corsOrigins: corsOrigins(list('cors-origin')),
    dataDir,
    cacheDir: text(get('cache-dir')) ?? path.join(dataDir, 'models'),
    logLevel: choice(get('log-level'), ['error', 'warn', 'info', 'debug'] as const) ?? 'info',
    logFormat: choice(get('log-format'), ['text', 'json'] as const) ?? 'text',
    help: given.has('help'),
    version: given.has('version'),
  }
  checkCombinations(config)
  return config
}

// Flags that make no sense in a library: it returns its own objects instead of printing help or a version
const CLI_ONLY = new Set(['help', 'version'])

/** The option name of a flag: `chat-template` -> `chatTemplate`. */
export function optionName(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())
}

/**
 * Parses library options (the flags in camelCase, such as `{ model, chatTemplate, parallel: 2 }`) into the same
 * checked Config as the command line, through the same flag table and checks; errors name the option, not the
 * flag. The environment is not read: an embedding application passes what it wants.
 */
export function configFromOptions(options: Record<string, unknown>, parseOptions: ParseConfigOptions = {}): Config {
  const argv: string[] = []
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue
    const flag = FLAGS.find((f) => optionName(f.name) === key && !CLI_ONLY.has(f.name))
    if (flag === undefined) {
      const known = FLAGS.filter((f) => !CLI_ONLY.has(f.name)).map((f) => optionName(f.name))
      const guess = [...known].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0]
      const hint = guess !== undefined && editDistance(key, guess) <= 2 ? ` (did you mean ${guess}?)` : ''
      throw new ConfigError(`Unknown option '${key}'${hint}; options are ${known.join(', ')}`, key)
    }
    const values = Array.isArray(value) && flag.repeatable ? (value as unknown[]) : [value]
    for (const one of values) {
      if (typeof one !== 'string' && !(typeof one === 'number' && Number.isFinite(one))) {
        const wanted = flag.repeatable ? 'a string or an array of strings' : 'a string or a number'
        throw new ConfigError(`${key}: must be ${wanted}, got ${JSON.stringify(one) ?? typeof one}`, key)
      }
      argv.push(`--${flag.name}=${one}`)
    }
  }
  try {
    return parseConfig(argv, {}, parseOptions)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    const named = (text: string) =>
      text.replace(/--([a-z0-9-]+)/g, (whole, name: string) => (findFlag(`--${name}`) ? optionName(name) : whole))
    throw new ConfigError(named(error.message), error.flag === null ? null : named(error.flag))
  }
}

/** Splits argv into flag name -> values given, in order. */
function readArgs(argv: string[]): Map<string, string[]> {
  const given = new Map<string, string[]>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const eq = arg.indexOf('=')
    const key = arg.startsWith('-') && eq !== -1 ? arg.slice(0, eq) : arg
    const flag = findFlag(key)
    if (flag === undefined) throw unknownArgument(arg, key)
    let value: string
    if (flag.value === undefined) {
      if (key !== arg) throw new ConfigError(`${key} takes no value`, `--${flag.name}`)
      value = 'true'
    } else if (key !== arg) {
      value = arg.slice(eq + 1)
    } else {
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('--') || findFlag(next.split('=')[0] ?? '') !== undefined) {
        throw new ConfigError(`${key} needs a value: ${key} ${flag.value}`, `--${flag.name}`)
      }
      value = next
      i++
    }
    const values = given.get(flag.name) ?? []
    values.push(value)
    given.set(flag.name, values)
  }
  return given
}

function spec(name: string): FlagSpec {
  const found = FLAGS.find((flag) => flag.name === name)
  if (found === undefined) throw new Error(`Cannot find flag --${name}`)
  return found
}

/** The environment value for a flag: OXILLAMA_<NAME>, then any fallback names; empty counts as unset. */
function fromEnv(flag: FlagSpec, env: Record<string, string | undefined>): Source | undefined {
  if (flag.value === undefined) return undefined
  for (const name of [envName(flag.name), ...(flag.envFallback ?? [])]) {
    const value = env[name]
    if (value !== undefined && value !== '') return { value, label: name }
  }
  return undefined
}

function unknownArgument(arg: string, key: string): ConfigError {
  if (!arg.startsWith('-') || arg === '-') {
    const hint = /\.gguf$/i.test(arg) || /^https?:\/\//i.test(arg) ? ` (did you mean --model ${arg}?)` : ''
    return new ConfigError(`Unexpected argument '${arg}'${hint}; see --help`)
  }
  const guess = suggestFlag(key.replace(/^-+/, ''))
  const hint = guess === undefined ? '' : ` (did you mean ${guess}?)`
  return new ConfigError(`Unknown flag ${key}${hint}; see --help`, key)
}

function checkCombinations(config: Config): void {
  if (config.model !== undefined && (config.hfRepo !== undefined || config.hfFile !== undefined)) {
    throw new ConfigError('Pass either --model or --hf-repo with --hf-file, not both', '--model')
  }
  if (config.hfRepo !== undefined && config.hfFile === undefined) {
    throw new ConfigError(
      '--hf-repo needs --hf-file, the GGUF file in the repository (such as model-Q4_K_M.gguf)',
      '--hf-repo',
    )
  }
  if (config.hfFile !== undefined && config.hfRepo === undefined) {
    throw new ConfigError('--hf-file needs --hf-repo, the repository that holds it (owner/name)', '--hf-file')
  }
  if (config.chatTemplate !== undefined && config.chatTemplateFile !== undefined) {
    throw new ConfigError('Pass either --chat-template or --chat-template-file, not both', '--chat-template')
  }
  if (Math.floor(config.ctxSize / config.parallel) < MIN_CTX_PER_SLOT) {
    throw new ConfigError(
      `--ctx-size ${config.ctxSize} shared by --parallel ${config.parallel} slots leaves fewer than ` +
        `${MIN_CTX_PER_SLOT} tokens per request: raise --ctx-size or lower --parallel`,
      '--ctx-size',
    )
  }
}
