/** The logger every layer writes to. */
export type Logger = {
  debug(msg: string, fields?: object): void
  info(msg: string, fields?: object): void
  warn(msg: string, fields?: object): void
  error(msg: string, fields?: object): void
}

/** Log levels from quietest to noisiest; `silent` writes nothing. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug'

const RANKS: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 }

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
}

const BATCH_LIMIT = 64 * 1024

/** Creates a leveled logger writing plain text lines (`<ISO time> <LEVEL> <msg> key=value ...`). */
export function createLogger(options: LoggerOptions): FlushableLogger {
  const rank = RANKS[options.level]
  const { stream } = options
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
  const at = (level: Exclude<LogLevel, 'silent'>) => {
    if (RANKS[level] > rank) return () => {}
    const batched = options.batch === true && (level === 'info' || level === 'debug')
    return (msg: string, fields?: object) => {
      const now = Date.now()
      if (now !== stampMs) {
        stampMs = now
        stamp = new Date(now).toISOString() // one per millisecond, however many lines
      }
      pending += formatLine(stamp, level, msg, fields)
      if (!batched || pending.length >= BATCH_LIMIT) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    }
  }
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), flush }
}
