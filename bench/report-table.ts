import type { BenchEngine, BenchResult } from './bench-result.js'

/** One configuration of the engine benchmark and its result (or why it failed). */
export type BenchRow = {
  model: string
  engine: BenchEngine
  threads: number
  result: BenchResult | null
  error?: string
}

const HEAD = [
  'model',
  'engine',
  'threads',
  'load ms',
  'pp t/s',
  'tg t/s',
  'peak RSS MiB',
  'pp wasm/native',
  'tg wasm/native',
]

/** Formats benchmark rows as a markdown table; wasm rows get their speed as a fraction of native's on the same model and threads. */
export function formatBenchTable(rows: readonly BenchRow[]): string {
  const lines = [row(HEAD), row(HEAD.map((_, i) => (i < 2 ? '---' : '---:')))]
  for (const r of rows) {
    const res = r.result
    const native = rows.find((n) => n.engine === 'native' && n.model === r.model && n.threads === r.threads)?.result
    const ratio = (key: 'pp_tps' | 'tg_tps'): string => {
      if (r.engine === 'native') return '—'
      return res && native && native[key] > 0 ? (res[key] / native[key]).toFixed(2) : 'n/a'
    }
    lines.push(
      row(
        res
          ? [
              r.model,
              r.engine,
              String(r.threads),
              String(Math.round(res.load_ms)),
              num(res.pp_tps),
              num(res.tg_tps),
              res.peak_rss_mib.toFixed(0),
              ratio('pp_tps'),
              ratio('tg_tps'),
            ]
          : [r.model, r.engine, String(r.threads), 'failed', '', '', '', '', ''],
      ),
    )
  }
  return lines.join('\n')
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`
}

function num(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1)
}
