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

function formatLine(level: string, msg: string, fields: object | undefined): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}`
  let stacks = ''
  for (const [key, value] of Object.entries(fields ?? {})) {
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

/** Creates a leveled logger writing plain text lines (`<ISO time> <LEVEL> <msg> key=value ...`). */
export function createLogger(options: { level: LogLevel; stream: LogStream }): Logger {
  const rank = RANKS[options.level]
  const at = (level: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: object) => {
    if (RANKS[level] <= rank) options.stream.write(formatLine(level, msg, fields))
  }
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}
