import { loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

/** The outcome of waitForQuiet(): whether the machine got quiet, the last 1-minute load average, time waited. */
export type QuietCheck = { quiet: boolean; load1: number; waitedMs: number }

/** Options for waitForQuiet(). */
export type QuietOptions = { maxLoad?: number; tries?: number; intervalMs?: number; log?: (message: string) => void }

/**
 * Waits until the 1-minute load average is below `maxLoad` (1.0), checking now and then every `intervalMs`
 * (60 s) up to `tries` (6) times: timings on a shared 2-core machine mean nothing while others run.
 */
export async function waitForQuiet(options: QuietOptions = {}): Promise<QuietCheck> {
  const maxLoad = options.maxLoad ?? 1.0
  const tries = options.tries ?? 6
  const intervalMs = options.intervalMs ?? 60_000
  const started = Date.now()
  let load1 = loadavg()[0] ?? 0
  for (let i = 1; load1 >= maxLoad && i < tries; i++) {
    options.log?.(`load average ${load1.toFixed(2)} >= ${maxLoad}: waiting ${intervalMs / 1000} s (${i}/${tries - 1})`)
    await sleep(intervalMs)
    load1 = loadavg()[0] ?? 0
  }
  return { quiet: load1 < maxLoad, load1, waitedMs: Date.now() - started }
}
