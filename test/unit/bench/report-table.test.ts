import t from 'tap'
import { medianOfRuns, parseBenchResult, type BenchResult } from '../../../bench/bench-result.js'
import { formatBenchTable } from '../../../bench/report-table.js'

function result(engine: BenchResult['engine'], pp: number, tg: number): BenchResult {
  return {
    engine,
    node: 'v24.21.0',
    model: 'synth-135m-q8_0.gguf',
    threads: 2,
    load_ms: 670.4,
    prompt_tokens: 100,
    gen_tokens: 128,
    pp_tps: pp,
    tg_tps: tg,
    ttft_ms: 204,
    peak_rss_mib: 301.6,
    runs: [{ pp_tps: pp, tg_tps: tg, ttft_ms: 204 }],
  }
}

t.test('formatBenchTable() prints wasm speed as a fraction of native on the same model and threads', async (t) => {
  const table = formatBenchTable([
    { model: '135m', engine: 'native', threads: 2, result: result('native', 515.9, 48.6) },
    { model: '135m', engine: 'wasm-main', threads: 2, result: result('wasm-main', 38.1, 21.4) },
    { model: '135m', engine: 'wasm-compat', threads: 1, result: result('wasm-compat', 19.5, 12.3) },
    { model: '360m', engine: 'wasm-main', threads: 2, result: null, error: 'boom' },
  ])
  const lines = table.split('\n')
  t.equal(
    lines[0],
    '| model | engine | threads | load ms | pp t/s | tg t/s | peak RSS MiB | pp wasm/native | tg wasm/native |',
  )
  t.equal(lines[1], '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  t.equal(lines[2], '| 135m | native | 2 | 670 | 516 | 48.6 | 302 | — | — |')
  t.equal(lines[3], '| 135m | wasm-main | 2 | 670 | 38.1 | 21.4 | 302 | 0.07 | 0.44 |')
  t.equal(lines[4], '| 135m | wasm-compat | 1 | 670 | 19.5 | 12.3 | 302 | n/a | n/a |', 'no native row with 1 thread')
  t.equal(lines[5], '| 360m | wasm-main | 2 | failed |  |  |  |  |  |')
})

t.test('parseBenchResult() accepts a child line and names the first bad field', async (t) => {
  const good = result('native', 1, 2)
  t.same(parseBenchResult(JSON.stringify(good)), good)
  t.throws(
    () => parseBenchResult(JSON.stringify({ ...good, engine: 'gpu' })),
    /Cannot use the benchmark result: \/engine/,
  )
  t.throws(() => parseBenchResult(JSON.stringify({ ...good, threads: 0 })), /\/threads/)
  t.throws(() => parseBenchResult('not json'), SyntaxError)
})

t.test('medianOfRuns() takes the middle run of each speed on its own', async (t) => {
  t.same(
    medianOfRuns([
      { pp_tps: 500, tg_tps: 40, ttft_ms: 300 },
      { pp_tps: 100, tg_tps: 50, ttft_ms: 200 },
      { pp_tps: 300, tg_tps: 45, ttft_ms: 100 },
    ]),
    { pp_tps: 300, tg_tps: 45, ttft_ms: 200 },
  )
  t.same(
    medianOfRuns([
      { pp_tps: 1, tg_tps: 2, ttft_ms: 3 },
      { pp_tps: 3, tg_tps: 4, ttft_ms: 5 },
    ]),
    { pp_tps: 2, tg_tps: 3, ttft_ms: 4 },
  )
  t.throws(() => medianOfRuns([]))
})
