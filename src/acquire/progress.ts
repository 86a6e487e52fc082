/** The part of a writable stream a progress reporter needs (process.stderr fits). */
export type ProgressStream = {
  write(chunk: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

/** Options for createProgress(). */
export type ProgressOptions = {
  label: string
  /** Amount that means 100%; null or omitted when unknown (no percentage, bar or eta). */
  total?: number | null
  stream: ProgressStream
  /** Minimum time between plain lines when the stream is not a TTY (default 5000). */
  intervalMs?: number
  /** How amounts print: 'bytes' as KiB/MiB/GiB (default), 'count' as plain numbers. */
  unit?: 'bytes' | 'count'
  /** Clock in milliseconds, for tests. */
  now?: () => number
}

/** A progress reporter: call update() as work advances and finish() once at the end. */
export type Progress = {
  update(done: number, total?: number | null): void
  finish(): void
}

const TTY_REDRAW_MS = 100
const BAR_WIDTH = 20
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

/** Creates a progress reporter: a redrawn bar on a TTY, throttled plain lines elsewhere. */
export function createProgress(options: ProgressOptions): Progress {
  const { label, stream } = options
  const now = options.now ?? Date.now
  const intervalMs = options.intervalMs ?? 5000
  const unit = options.unit ?? 'bytes'
  const tty = stream.isTTY === true
  let total = options.total ?? null
  let done = 0
  let start: { at: number; done: number } | null = null
  let lastDrawAt = -Infinity
  let printedComplete = false
  let finished = false

  const render = (withBar: boolean): string => {
    const elapsedMs = start === null ? 0 : now() - start.at
    const rate = start !== null && elapsedMs > 0 ? ((done - start.done) * 1000) / elapsedMs : null
    const parts = [label]
    if (total !== null && total > 0) {
      const ratio = Math.min(1, Math.max(0, done / total))
      parts.push(`${Math.floor(ratio * 100)}%`.padStart(4))
      if (withBar) {
        const filled = Math.round(ratio * BAR_WIDTH)
        parts.push(`|${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}|`)
      }
      parts.push(formatPair(done, total, unit))
    } else {
      parts.push(formatAmount(done, unit))
    }
    if (rate !== null) parts.push(`${formatAmount(rate, unit)}/s`)
    if (rate !== null && rate > 0 && total !== null && done < total) {
      parts.push(`eta ${formatDuration((total - done) / rate)}`)
    }
    return parts.join(' ')
  }

  const draw = (force: boolean): void => {
    const at = now()
    const complete = total !== null && done >= total
    if (tty) {
      if (!force && !complete && at - lastDrawAt < TTY_REDRAW_MS) return
      let line = render(true)
      if (stream.columns !== undefined && stream.columns > 1) line = line.slice(0, stream.columns - 1)
      stream.write(`\r${line}\x1b[K`)
    } else {
      if (complete && printedComplete) return
      if (!force && !complete && at - lastDrawAt < intervalMs) return
      stream.write(`${render(false)}\n`)
      if (complete) printedComplete = true
    }
    lastDrawAt = at
  }

  return {
    update(value, newTotal) {
      if (finished) return
      if (newTotal !== undefined) total = newTotal
      // The rate counts from the first update, so a resumed download does not look instant
      if (start === null) {
        start = { at: now(), done: value }
        lastDrawAt = tty ? -Infinity : start.at
      }
      done = value
      draw(false)
    },
    finish() {
      if (finished) return
      finished = true
      if (tty) {
        draw(true)
        stream.write('\n')
      } else if (!printedComplete) {
        draw(true)
      }
    },
  }
}

/** Formats `done/total unit` in the unit that fits total. */
function formatPair(done: number, total: number, unit: 'bytes' | 'count'): string {
  if (unit === 'count') return `${Math.round(done)}/${Math.round(total)}`
  const power = bytePower(total)
  const scale = 1024 ** power
  return `${(done / scale).toFixed(1)}/${(total / scale).toFixed(1)} ${BYTE_UNITS[power]}`
}

/** Formats one amount, e.g. `5.2 MiB` or `12`. */
function formatAmount(value: number, unit: 'bytes' | 'count'): string {
  if (unit === 'count') return value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1)
  const power = bytePower(value)
  return power === 0 ? `${Math.round(value)} B` : `${(value / 1024 ** power).toFixed(1)} ${BYTE_UNITS[power]}`
}

function bytePower(value: number): number {
  let power = 0
  while (value >= 1024 ** (power + 1) && power < BYTE_UNITS.length - 1) power++
  return power
}

/** Formats seconds as `3s`, `2m05s` or `1h02m`. */
function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
