import t from 'tap'
import { MetricsRegistry } from '../../../src/metrics/registry.js'
import { ServerMetrics } from '../../../src/metrics/server-metrics.js'
import { parsePrometheus, sampleValue } from '../../helpers/prometheus.js'

t.test('render() writes counters, gauges and histograms that parse as the text format', async (t) => {
  const registry = new MetricsRegistry()
  const requests = registry.counter({ name: 'x_requests_total', help: 'Requests.', labelNames: ['route', 'status'] })
  const depth = registry.gauge({ name: 'x_depth', help: 'Depth.', labelNames: ['lane'] })
  const latency = registry.histogram({ name: 'x_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.1, 1] })
  requests.inc(['/a', '200'])
  requests.inc(['/a', '200'], 2)
  requests.inc(['/b', '404'])
  depth.set(['interactive'], 3)
  for (const v of [0.05, 0.1, 0.5, 7]) latency.observe(['/a'], v)
  const families = parsePrometheus(await registry.render())
  t.equal(families.get('x_requests_total')?.type, 'counter')
  t.equal(sampleValue(families, 'x_requests_total', { route: '/a', status: '200' }), 3)
  t.equal(sampleValue(families, 'x_requests_total', { route: '/b', status: '404' }), 1)
  t.equal(sampleValue(families, 'x_depth', { lane: 'interactive' }), 3)
  // 0.1 falls in the le="0.1" bucket (upper bounds are inclusive); buckets are cumulative
  t.equal(sampleValue(families, 'x_seconds_bucket', { route: '/a', le: '0.1' }), 2)
  t.equal(sampleValue(families, 'x_seconds_bucket', { route: '/a', le: '1' }), 3)
  t.equal(sampleValue(families, 'x_seconds_bucket', { route: '/a', le: '+Inf' }), 4)
  t.equal(sampleValue(families, 'x_seconds_count', { route: '/a' }), 4)
  t.equal(sampleValue(families, 'x_seconds_sum', { route: '/a' }), 7.65)
})

t.test('label values are escaped and read back unchanged', async (t) => {
  const registry = new MetricsRegistry()
  const c = registry.counter({ name: 'x_total', help: 'Help with \\ and\nnewline.', labelNames: ['path'] })
  const odd = 'a"b\\c\nd'
  c.inc([odd])
  const text = await registry.render()
  t.match(text, '# HELP x_total Help with \\\\ and\\nnewline.')
  t.equal(sampleValue(parsePrometheus(text), 'x_total', { path: odd }), 1)
})

t.test('a counter without labels shows 0 before its first use; collectors run before each render', async (t) => {
  const registry = new MetricsRegistry()
  registry.counter({ name: 'x_restarts_total', help: 'Restarts.' })
  const gauge = registry.gauge({ name: 'x_live', help: 'Live.' })
  let reads = 0
  registry.onCollect(() => gauge.set([], ++reads))
  t.equal(sampleValue(parsePrometheus(await registry.render()), 'x_restarts_total'), 0)
  t.equal(sampleValue(parsePrometheus(await registry.render()), 'x_live'), 2)
})

t.test('bad declarations and uses throw', async (t) => {
  const registry = new MetricsRegistry()
  t.throws(() => registry.counter({ name: 'bad-name', help: '' }), /bad name/)
  t.throws(() => registry.histogram({ name: 'h', help: '', labelNames: ['le'], buckets: [1] }), /bad label/)
  t.throws(() => registry.histogram({ name: 'h2', help: '', buckets: [2, 1] }), /ascending/)
  const c = registry.counter({ name: 'c_total', help: '', labelNames: ['a', 'b'] })
  t.throws(() => c.inc(['only-one']), /expected 2 label values/)
  t.throws(() => c.inc(['x', 'y'], -1), /Cannot decrease/)
  t.throws(() => registry.gauge({ name: 'c_total', help: '' }), /exists/)
})

t.test('ServerMetrics renders every family in the oxillama_ namespace or the standard process ones', async (t) => {
  const metrics = new ServerMetrics({ version: '1.2.3' })
  metrics.requestDone({ method: 'GET', route: null, status: 404, durationMs: 3 })
  metrics.requestDone({ method: 'GET', route: null, status: 404, durationMs: 30 })
  metrics.requestDone({ method: 'GET', route: '/health', status: 200, durationMs: 1 })
  metrics.engine.finished('interactive', { prompt_tokens: 5, completion_tokens: 7 }, { predicted_per_second: 40 })
  const families = parsePrometheus(await metrics.registry.render())
  for (const name of families.keys()) t.match(name, /^(oxillama_|process_|nodejs_)/, name)
  t.equal(sampleValue(families, 'oxillama_build_info', { version: '1.2.3' }), 1)
  const unmatched = { method: 'GET', route: 'unmatched' }
  t.equal(sampleValue(families, 'oxillama_http_requests_total', { ...unmatched, status: '404' }), 2)
  t.equal(sampleValue(families, 'oxillama_http_requests_total', { method: 'GET', route: '/health', status: '200' }), 1)
  t.equal(sampleValue(families, 'oxillama_http_request_duration_seconds_sum', unmatched), 0.033)
  t.equal(sampleValue(families, 'oxillama_http_request_duration_seconds_bucket', { ...unmatched, le: '0.005' }), 1)
  t.equal(sampleValue(families, 'oxillama_prompt_tokens_total', { lane: 'interactive' }), 5)
  t.equal(sampleValue(families, 'oxillama_generated_tokens_total', { lane: 'interactive' }), 7)
  t.ok((sampleValue(families, 'process_resident_memory_bytes') ?? 0) > 0, 'RSS is read at scrape time')
})
