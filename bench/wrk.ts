import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

/** What one wrk run measured: requests (total and per second), latency percentiles in ms, failed requests (non-2xx/3xx + socket errors). */
export type WrkResult = { requests: number; rps: number; p50: number; p99: number; errors: number }

/** Options of `runWrk()`. */
export type WrkOptions = {
  threads: number
  connections: number
  durationS: number
  headers?: Record<string, string>
  /** Prefix the command, e.g. `['taskset', '-c', '1']`. */
  wrapper?: string[]
}

const run = promisify(execFile)
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (!match?.[1] || !match[2]) throw new Error(`Cannot read the wrk duration '${text}'`)
  return Number(match[1]) * (UNIT_MS[match[2]] ?? Number.NaN)
}

/** Reads wrk's text report (run with `--latency`). */
export function parseWrk(report: string): WrkResult {
  const requests = /^\s*(\d+) requests in /m.exec(report)?.[1]
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(report)?.[1]
  const p50 = /^\s+50%\s+(\S+)/m.exec(report)?.[1]
  const p99 = /^\s+99%\s+(\S+)/m.exec(report)?.[1]
  if (requests === undefined || rps === undefined || p50 === undefined || p99 === undefined)
    throw new Error(`Cannot read the wrk report:\n${report}`)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(report)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report)
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  return {
    requests: Number(requests),
    rps: Number(rps),
    p50: durationMs(p50),
    p99: durationMs(p99),
    errors: non2xx + socketErrors,
  }
}

/** Runs wrk (a native load generator: it costs the server far less CPU than a JS one) against one URL. */
export async function runWrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const headerArgs = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`])
  const [command = 'wrk', ...prefix] = [...(options.wrapper ?? []), 'wrk']
  const { stdout } = await run(command, [
    ...prefix,
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationS}s`,
    '--latency',
    ...headerArgs,
    url,
  ])
  return parseWrk(stdout)
}
