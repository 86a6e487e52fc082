import type { RunStep } from '../../schemas/run-steps.js'
import type { ListPage, ListQuery } from '../../schemas/shared.js'
import { notFound } from '../errors.js'
import { newId } from '../ids.js'
import type { RunRef, RunStepInit, RunStepPatch, RunStepStore } from '../store.js'
import { bodies, definedOnly, nowSeconds, type SqlClient, type SqlContext } from './client.js'
import { listPage } from './page.js'

/** RunStepStore over SQL. */
export function sqlSteps(ctx: SqlContext): RunStepStore {
  return {
    create(run: RunRef, init: RunStepInit): Promise<RunStep> {
      return ctx.atomic(async (client) => {
        const assistantId = await runAssistant(client, run)
        const step: RunStep = {
          id: newId('step'),
          object: 'thread.run.step',
          created_at: nowSeconds(),
          run_id: run.run_id,
          thread_id: run.thread_id,
          assistant_id: assistantId,
          type: init.type,
          status: init.status ?? 'in_progress',
          step_details: init.step_details,
          last_error: null,
          usage: null,
          cancelled_at: null,
          completed_at: null,
          expired_at: null,
          failed_at: null,
          metadata: init.metadata ?? {},
        }
        await client.query(
          'INSERT INTO run_steps (id, thread_id, run_id, created_at, body) VALUES ($1, $2, $3, $4, $5::json)',
          [step.id, run.thread_id, run.run_id, step.created_at, JSON.stringify(step)],
        )
        return step
      })
    },

    async get(run: RunRef, id: string): Promise<RunStep | null> {
      const { rows } = await ctx.client.query(
        'SELECT body FROM run_steps WHERE id = $1 AND run_id = $2 AND thread_id = $3',
        [id, run.run_id, run.thread_id],
      )
      return bodies<RunStep>(rows)[0] ?? null
    },

    async list(run: RunRef, query?: ListQuery): Promise<ListPage<RunStep>> {
      await runAssistant(ctx.client, run)
      return listPage<RunStep>(
        ctx.client,
        {
          table: 'run_steps',
          parent: [
            ['run_id', run.run_id],
            ['thread_id', run.thread_id],
          ],
        },
        query,
      )
    },

    update(run: RunRef, id: string, patch: RunStepPatch): Promise<RunStep> {
      return ctx.atomic(async (client) => {
        const { rows } = await client.query(
          'SELECT body FROM run_steps WHERE id = $1 AND run_id = $2 AND thread_id = $3 FOR UPDATE',
          [id, run.run_id, run.thread_id],
        )
        const current = bodies<RunStep>(rows)[0]
        if (current === undefined) throw notFound('run step', id)
        const next: RunStep = { ...current, ...definedOnly(patch) }
        await client.query('UPDATE run_steps SET body = $2::json WHERE id = $1', [id, JSON.stringify(next)])
        return next
      })
    },
  }
}

/** The run's assistant id; throws not_found when the run is not on that thread. */
async function runAssistant(client: SqlClient, run: RunRef): Promise<string> {
  const { rows } = await client.query('SELECT body FROM runs WHERE id = $1 AND thread_id = $2', [
    run.run_id,
    run.thread_id,
  ])
  const found = bodies<{ assistant_id: string }>(rows)[0]
  if (found === undefined) throw notFound('run', run.run_id)
  return found.assistant_id
}
