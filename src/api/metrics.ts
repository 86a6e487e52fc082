import { LANES } from '../engine/scheduler.js'
import { text } from '../http/reply.js'
import type { Router } from '../http/router.js'
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.js'
import { RunStatus } from '../schemas/runs.js'
import type { ApiDeps } from './deps.js'

const RUN_STATUSES = RunStatus.anyOf.map((literal) => literal.const)

/** Registers GET /metrics: every metric in the Prometheus text format, live gauges read at scrape time. */
export function registerMetrics(router: Router, deps: ApiDeps): void {
  deps.metrics.registry.onCollect(() => collectLive(deps))
  router.get('/metrics', { summary: 'Server metrics in the Prometheus text exposition format 0.0.4' }, async () =>
    text(200, await deps.metrics.registry.render(), { contentType: PROMETHEUS_CONTENT_TYPE }),
  )
}

/** Sets the gauges of live state: the engine's slots, queues and restarts, and the runs in the store by status. */
async function collectLive(deps: ApiDeps): Promise<void> {
  const { metrics, model } = deps
  const engine = model.state === 'ready' ? model.engine : null
  metrics.modelReady.set([], engine?.stats.state === 'ready' ? 1 : 0)
  if (engine) {
    const stats = engine.stats
    metrics.slotsTotal.set([], stats.slots)
    metrics.slotsBusy.set([], stats.active)
    metrics.engineRestarts.setTotal([], stats.restarts)
    for (const lane of LANES) {
      metrics.queueDepth.set([lane], stats.lanes[lane].queued)
      metrics.laneRunning.set([lane], stats.lanes[lane].running)
    }
  }
  const counts = await deps.store.runs.countByStatus()
  for (const status of RUN_STATUSES) metrics.runs.set([status], counts[status] ?? 0)
}
