import type { MetricsRegistry } from './registry.js'

/**
 * Declares the standard `process_*` and `nodejs_*` metrics that Prometheus client libraries export (the names
 * prom-client uses), read from the process at scrape time: CPU time, start time, resident memory, V8 heap.
 */
export function registerProcessMetrics(registry: MetricsRegistry): void {
  const cpuUser = registry.counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
  })
  const cpuSystem = registry.counter({
    name: 'process_cpu_system_seconds_total',
    help: 'Total system CPU time spent in seconds.',
  })
  const cpuTotal = registry.counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
  })
  const startTime = registry.gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
  })
  const resident = registry.gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes (the engine workers and their WebAssembly memory included).',
  })
  const heapUsed = registry.gauge({ name: 'nodejs_heap_size_used_bytes', help: 'Process heap size used in bytes.' })
  const heapTotal = registry.gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'Process heap size from Node.js in bytes.',
  })
  const external = registry.gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Node.js external memory size in bytes (ArrayBuffers included).',
  })
  // performance.timeOrigin is when this process started, in ms since the epoch
  startTime.set([], Math.round(performance.timeOrigin / 1000))
  registry.onCollect(() => {
    const cpu = process.cpuUsage()
    cpuUser.setTotal([], cpu.user / 1e6)
    cpuSystem.setTotal([], cpu.system / 1e6)
    cpuTotal.setTotal([], (cpu.user + cpu.system) / 1e6)
    const memory = process.memoryUsage()
    resident.set([], memory.rss)
    heapUsed.set([], memory.heapUsed)
    heapTotal.set([], memory.heapTotal)
    external.set([], memory.external)
  })
}
