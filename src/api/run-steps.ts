import { NotFoundError } from '../http/errors.js'
import type { Router } from '../http/router.js'
import { RunStep, RunStepsPage, StepListParams, StepPath, StepRetrieveParams } from '../schemas/run-steps.js'
import { RunPath } from '../schemas/runs.js'
import type { RunRef, Store } from '../store/store.js'
import { type ApiDeps } from './deps.js'
import { requireThread } from './require-thread.js'

/**
 * Registers GET /v1/threads/:thread_id/runs/:run_id/steps and .../steps/:step_id. `include[]` (as openai-node
 * sends it) is folded into `include` by the query parsing; its one value asks for file_search result content,
 * which this server never produces, so it is accepted and changes nothing.
 */
export function registerRunSteps(router: Router, deps: ApiDeps): void {
  const { store } = deps
  router.get(
    '/v1/threads/:thread_id/runs/:run_id/steps',
    { params: RunPath, query: StepListParams, response: RunStepsPage, summary: 'Lists the steps of a run' },
    async (c) => {
      const { include: _include, ...page } = c.query
      const run = await requireRun(store, c.params)
      return store.steps.list(run, page)
    },
  )

  router.get(
    '/v1/threads/:thread_id/runs/:run_id/steps/:step_id',
    { params: StepPath, query: StepRetrieveParams, response: RunStep, summary: 'Retrieves a run step' },
    async (c) => {
      const step = await store.steps.get(c.params, c.params.step_id)
      if (step) return step
      await requireRun(store, c.params)
      throw new NotFoundError('run step', c.params.step_id)
    },
  )
}

/** The run reference if the thread and the run (on that thread) exist; a 404 naming whichever is missing. */
async function requireRun(store: Store, ref: RunRef): Promise<RunRef> {
  const run = await store.runs.get(ref.thread_id, ref.run_id)
  if (run) return { thread_id: ref.thread_id, run_id: ref.run_id }
  await requireThread(store, ref.thread_id)
  throw new NotFoundError('run', ref.run_id)
}
