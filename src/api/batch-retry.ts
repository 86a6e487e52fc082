import { setTimeout as sleep } from 'node:timers/promises'
import type { HttpResponse } from '../http/http-app.js'

/** Statuses a batch request is sent again for: the server was busy, restarting or stopping, not the request at fault. */
const TRANSIENT = new Set([408, 429, 502, 503, 504])
const FIRST_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000

/**
 * How long to wait before sending a batch request again, or null when its reply is final: a transient status
 * without `x-should-retry: false` waits FIRST_BACKOFF_MS doubled per attempt, at least what `retry-after-ms` /
 * `retry-after` asks, at most MAX_BACKOFF_MS.
 */
export function retryDelayMs(response: HttpResponse, attempt: number): number | null {
  const { status, headers } = response
  if (!TRANSIENT.has(status) || headers['x-should-retry'] === 'false') return null
  const asked = Number(headers['retry-after-ms'] ?? Number(headers['retry-after'] ?? 0) * 1000)
  const doubled = FIRST_BACKOFF_MS * 2 ** Math.min(attempt, 16)
  return Math.min(MAX_BACKOFF_MS, Math.max(doubled, Number.isFinite(asked) ? asked : 0))
}

/** Waits `ms`, then until the engine is ready (after a crash, its restart); returns at once when `stop` aborts. */
export async function waitToRetry(ms: number, stop: AbortSignal, whenReady?: () => Promise<void>): Promise<void> {
  await sleep(ms, undefined, { signal: stop }).catch(() => undefined)
  if (stop.aborted || !whenReady) return
  await new Promise<void>((resolve, reject) => {
    stop.addEventListener('abort', () => resolve(), { once: true })
    whenReady().then(resolve, reject)
  })
}
