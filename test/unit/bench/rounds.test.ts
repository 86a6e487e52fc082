import t from 'tap'
import type { BenchResult } from '../../../bench/bench-result.js'
import { mergeRounds } from '../../../bench/rounds.js'
import type { BenchRow } from '../../../bench/report-table.js'

function row(engine: BenchResult['engine'], tg: number[], load: number, rss: number): BenchRow {
  return {
    model: '135m',
    engine,
    threads: 1,
    result: {
      engine,
      node: 'v24.21.0',
      model: 'synth-135m-q8_0.gguf',
      threads: 1,
      load_ms: load,
      prompt_tokens: 100,
      gen_tokens: 64,
      pp_tps: 0,
      tg_tps: 0,
      ttft_ms: 0,
      peak_rss_mib: rss,
      runs: tg.map((v) => ({ pp_tps: 10 * v, tg_tps: v, ttft_ms: 1000 / v })),
    },
  }
}

t.test('mergeRounds() takes the median over every run of every round', async (t) => {
  const merged = mergeRounds([
    [row('native', [100, 102, 101], 900, 320), row('wasm-relaxed', [80, 81, 79], 700, 330)],
    [row('native', [150, 151, 149], 800, 325), row('wasm-relaxed', [120, 118, 119], 1100, 331)],
    [row('native', [103, 104, 140], 1000, 318), row('wasm-relaxed', [82, 121, 83], 750, 329)],
  ])
  t.equal(merged.length, 2)
  const [native, wasm] = merged
  t.equal(native?.result?.tg_tps, 104, 'native: the middle of 9 runs')
  t.equal(native?.result?.pp_tps, 1040)
  t.equal(wasm?.result?.tg_tps, 83)
  t.equal(native?.result?.runs.length, 9, 'every run kept')
  t.equal(native?.result?.load_ms, 900, 'load time: the median of the rounds')
  t.equal(wasm?.result?.peak_rss_mib, 331, 'peak RSS: the largest')
  t.equal(native?.error, undefined)
})

t.test('mergeRounds() keeps the rounds that ran and reports a configuration that never did', async (t) => {
  const failed: BenchRow = { model: '135m', engine: 'wasm-relaxed', threads: 1, result: null, error: 'boom' }
  const merged = mergeRounds([
    [row('native', [100], 900, 320), failed],
    [row('native', [110], 900, 320), failed],
  ])
  t.equal(merged[1]?.result, null)
  t.equal(merged[1]?.error, 'boom')
  const partly = mergeRounds([[failed], [row('wasm-relaxed', [90, 92], 700, 330)]])
  t.equal(partly[0]?.result?.tg_tps, 91, 'the round that failed adds no runs')
  t.equal(partly[0]?.error, undefined)
})

t.test('mergeRounds() refuses rounds whose rows are not the same configurations', async (t) => {
  t.throws(
    () => mergeRounds([[row('native', [1], 1, 1)], [row('wasm-relaxed', [1], 1, 1)]]),
    /not the same configuration/,
  )
})
