import { medianOfRuns, middle, type BenchResult } from './bench-result.js'
import type { BenchRow } from './report-table.js'

/**
 * Merges the rows of repeated rounds (round r's row i is the same configuration in every round) into one row each:
 * speeds are the median over every timed run of every round, load time the median of the rounds', peak RSS the
 * largest. On a machine whose speed drifts in phases, rounds spread each engine's runs over the whole benchmark, so
 * that a slow phase weighs on native and wasm alike instead of on whichever ran during it.
 */
export function mergeRounds(rounds: readonly (readonly BenchRow[])[]): BenchRow[] {
  const first = rounds[0] ?? []
  return first.map((row, i) => {
    const same = rounds.map((round) => round[i])
    for (const other of same) {
      if (!other || other.model !== row.model || other.engine !== row.engine || other.threads !== row.threads)
        throw new Error(`Cannot merge rounds: row ${i} is not the same configuration in every round`)
    }
    const results = same.map((r) => r?.result).filter((r): r is BenchResult => r != null)
    const base = results[0]
    if (!base) return { ...row, result: null, error: same.find((r) => r?.error)?.error ?? 'no result in any round' }
    const runs = results.flatMap((r) => r.runs)
    return {
      model: row.model,
      engine: row.engine,
      threads: row.threads,
      result: {
        ...base,
        ...medianOfRuns(runs),
        load_ms: middle(results.map((r) => r.load_ms)),
        peak_rss_mib: Math.max(...results.map((r) => r.peak_rss_mib)),
        runs,
      },
    }
  })
}
