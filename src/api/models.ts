import { ApiError } from '../http/errors.js'
import { json } from '../http/reply.js'
import type { Router } from '../http/router.js'
import { Health } from '../schemas/health.js'
import { Model, ModelPath, ModelsPage } from '../schemas/models.js'
import type { ApiDeps } from './deps.js'

/** Registers GET /v1/models, GET /v1/models/:model and GET /health. */
export function registerModels(router: Router, deps: ApiDeps): void {
  const model = (): Model => ({ id: deps.model.id, object: 'model', created: deps.model.created, owned_by: 'oxillama' })

  router.get('/v1/models', { response: ModelsPage, summary: 'Lists the served model' }, () => ({
    object: 'list' as const,
    data: [model()],
  }))

  router.get(
    '/v1/models/:model',
    { params: ModelPath, response: Model, summary: 'Retrieves the served model by id or alias' },
    (c) => {
      if (!deps.model.names.includes(c.params.model)) {
        throw new ApiError(404, `The model '${c.params.model}' does not exist`, {
          code: 'model_not_found',
          param: 'model',
        })
      }
      return { ...model(), id: c.params.model }
    },
  )

  // llama-server's health contract: 200 once the model is ready, 503 while it loads (or after it failed)
  router.get('/health', { response: Health, summary: 'Readiness of the model, slots and queues', public: true }, () => {
    const { state, engine } = deps.model
    if (state === 'ready' && engine) {
      const stats = engine.stats
      const body: Health = {
        status: stats.state === 'ready' ? 'ok' : 'restarting',
        slots_total: stats.slots,
        slots_busy: stats.active,
        queued: stats.queued,
        lanes: stats.lanes,
        restarts: stats.restarts,
      }
      return json(stats.state === 'ready' ? 200 : 503, body)
    }
    const body: Health =
      state === 'failed'
        ? { status: 'error', error: deps.model.error?.message ?? 'unknown error' }
        : { status: 'loading' }
    return json(503, body)
  })
}
