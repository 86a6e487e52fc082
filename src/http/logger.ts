import { hostname } from 'node:os'

/** One finished request, as the access log (and the app's `onRequestDone` hook) sees it. */
export type RequestLog = {
  readonly method: string
  /** The path as sent, percent-encoded, without the query. */
  readonly path: string
  /** The matched route's pattern (`/v1/threads/:thread_id`), or null when none matched. */
  readonly route: string | null
  readonly status: number
  /** From arrival to the reply's last byte, unrounded (logs round it). */
  readonly durationMs: number
  /** Body bytes sent. */
  readonly bytes: number
  readonly requestId: string
  /** The API key presented, masked (`sk-...abcd`); null without keys. */
  readonly key: string | null
  /** How a reply that started ended badly: the client left, the stream ended on an error, or it broke. */
  readonly outcome: '' | 'aborted' | 'error' | 'failed'
}

/** The logger every layer writes to. */
export type Logger = {
  debug(msg: string, fields?: object): void
  info(msg: string, fields?: object): void
  warn(msg: string, fields?: object): void
  error(msg: string, fields?: object): void
  /** The access log: one info line per finished request. */
  request(entry: RequestLog): void
}

/** How lines are written: `<ISO time> <LEVEL> <msg> key=value` text, or JSON lines as pino writes them. */
export type LogFormat = 'text' | 'json'

/** Log levels from quietest to noisiest; `silent` writes nothing. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug'

const RANKS: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 }
// pino's numeric levels, which pino-pretty and log pipelines read
const PINO_LEVELS: Record<Exclude<LogLevel, 'silent'>, number> = { error: 50, warn: 40, info: 30, debug: 20 }

/** Where log lines go (`process.stderr` fits). */
export type LogStream = { write(text: string): unknown }

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
  if (value instanceof Error) return JSON.stringify(value.message)
  if (typeof value === 'bigint') return String(value)
  return JSON.stringify(value) ?? String(value)
}

const LABELS: Record<Exclude<LogLevel, 'silent'>, string> = {
  error: 'ERROR',
  warn: 'WARN ',
  info: 'INFO ',
  debug: 'DEBUG',
}

function formatLine(
  stamp: string,
  level: Exclude<LogLevel, 'silent'>,
  msg: string,
  fields: object | undefined,
): string {
  if (fields === undefined) return `${stamp} ${LABELS[level]} ${msg}\n` // the access log's case: no fields
  let line = `${stamp} ${LABELS[level]} ${msg}`
  let stacks = ''
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    line += ` ${key}=${formatValue(value)}`
    if (value instanceof Error && value.stack) stacks += `\n  ${value.stack.replace(/\n/g, '\n  ')}`
  }
  return `${line}${stacks}\n`
}

function jsonValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify({ type: value.name, message: value.message, stack: value.stack })
  if (typeof value === 'bigint') return `"${value}"`
  try {
    return JSON.stringify(value) ?? 'null'
  } catch {
    return '"[unserializable]"'
  }
}

/** A pino line: level, time, pid and hostname first, then the fields, `msg` last. */
function formatJson(head: string, msg: string, fields: object | undefined): string {
  let line = head
  if (fields !== undefined) {
    for (const [key, value] of Object.entries(fields))
      if (value !== undefined) line += `,${JSON.stringify(key)}:${jsonValue(value)}`
  }
  return `${line},"msg":${JSON.stringify(msg)}}\n`
}

function textRequest(stamp: string, entry: RequestLog): string {
  const { method, path, status, durationMs, bytes, requestId, outcome, key } = entry
  return `${stamp} INFO  ${method} ${path} ${status} ${Math.round(durationMs)}ms ${bytes}B ${requestId}${outcome === '' ? '' : ` ${outcome}`}${key === null ? '' : ` key=${key}`}\n`
}

function jsonRequest(head: string, entry: RequestLog): string {
  const { method, route, status, durationMs, bytes, requestId, outcome, key } = entry
  let line = `${head},"req_id":${JSON.stringify(requestId)},"method":${JSON.stringify(method)},"route":${route === null ? 'null' : JSON.stringify(route)}`
  if (route === null) line += `,"path":${JSON.stringify(entry.path)}`
  line += `,"status":${status},"duration_ms":${Math.round(durationMs)},"bytes":${bytes}`
  if (key !== null) line += `,"key":${JSON.stringify(key)}`
  if (outcome !== '') line += `,"outcome":"${outcome}"`
  return `${line},"msg":"request completed"}\n`
}

/** Is `value` one of the log levels? */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(RANKS, value)
}

/** A logger whose batched lines can be written out at once (before the process exits). */
export type FlushableLogger = Logger & {
  /** Writes out the lines still batched. */
  flush(): void
}

/** Options of `createLogger()`. */
export type LoggerOptions = {
  level: LogLevel
  stream: LogStream
  /**
   * Batch info and debug lines (the access log) and write them in one call per event-loop turn, or at 64 KiB;
   * warnings and errors flush the batch and go out at once. Call `flush()` before exiting.
   */
  batch?: boolean
  /** Text lines (default) or JSON lines as pino writes them. */
  format?: LogFormat
}

const BATCH_LIMIT = 64 * 1024

/** Creates a leveled logger writing text lines (`<ISO time> <LEVEL> <msg> key=value ...`) or pino's JSON lines. */
export function createLogger(options: LoggerOptions): FlushableLogger {
  const rank = RANKS[options.level]
  const { stream } = options
  const json = options.format === 'json'
  const processFields = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`
  let stampMs = Number.NaN
  let stamp = ''
  let pending = ''
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (pending === '') return
    const text = pending
    pending = ''
    stream.write(text)
  }
  const write = (line: string, batched: boolean) => {
    pending += line
    if (!batched || pending.length >= BATCH_LIMIT) flush()
    else if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  // the text time stamp, made once per millisecond however many lines
  const stampNow = () => {
    const now = Date.now()
    if (now !== stampMs) {
      stampMs = now
      stamp = new Date(now).toISOString()
    }
    return stamp
  }
  const head = (level: Exclude<LogLevel, 'silent'>) =>
    `{"level":${PINO_LEVELS[level]},"time":${Date.now()}${processFields}`
  const at = (level: Exclude<LogLevel, 'silent'>) => {
    if (RANKS[level] > rank) return () => {}
    const batched = options.batch === true && (level === 'info' || level === 'debug')
    return (msg: string, fields?: object) =>
      write(json ? formatJson(head(level), msg, fields) : formatLine(stampNow(), level, msg, fields), batched)
  }
  const request =
    RANKS.info > rank
      ? () => {}
      : (entry: RequestLog) =>
          write(json ? jsonRequest(head('info'), entry) : textRequest(stampNow(), entry), options.batch === true)
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), request, flush }
}
