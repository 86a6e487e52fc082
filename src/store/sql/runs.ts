import type { Run, RunStatus } from '../../schemas/runs.js'
import type { ListPage, ListQuery } from '../../schemas/shared.js'
import { StoreError, notFound } from '../errors.js'
import { newId } from '../ids.js'
import { ACTIVE_RUN_STATUSES, type RunInit, type RunPatch, type RunStore, type RunUpdateOptions } from '../store.js'
import { bodies, definedOnly, isSqlState, nowSeconds, type SqlClient, type SqlContext } from './client.js'
import { listPage } from './page.js'

const UNIQUE_VIOLATION = '23505'

/** RunStore over SQL; the partial unique index runs_one_active backs the one-active-run-per-thread rule. */
export function sqlRuns(ctx: SqlContext): RunStore {
  return {
    create(threadId: string, init: RunInit): Promise<Run> {
      const createdAt = nowSeconds()
      const run: Run = {
        id: newId('run'),
        object: 'thread.run',
        created_at: createdAt,
        thread_id: threadId,
        assistant_id: init.assistant_id,
        status: 'queued',
        required_action: null,
        last_error: null,
        expires_at: init.expires_at ?? null,
        started_at: null,
        cancelled_at: null,
        failed_at: null,
        completed_at: null,
        incomplete_details: null,
        model: init.model,
        instructions: init.instructions,
        tools: init.tools,
        metadata: init.metadata ?? {},
        usage: null,
        temperature: init.temperature,
        top_p: init.top_p,
        max_prompt_tokens: init.max_prompt_tokens,
        max_completion_tokens: init.max_completion_tokens,
        truncation_strategy: init.truncation_strategy,
        response_format: init.response_format,
        tool_choice: init.tool_choice,
        parallel_tool_calls: init.parallel_tool_calls,
      }
      return ctx.atomic(async (client) => {
        const thread = await client.query('SELECT 1 FROM threads WHERE id = $1', [threadId])
        if (thread.rows.length === 0) throw notFound('thread', threadId)
        const active = await findActive(client, threadId)
        if (active !== null) throw activeRunConflict(threadId, active.id)
        await guardUnique(threadId, () =>
          client.query('INSERT INTO runs (id, thread_id, status, created_at, body) VALUES ($1, $2, $3, $4, $5::json)', [
            run.id,
            threadId,
            run.status,
            createdAt,
            JSON.stringify(run),
          ]),
        )
        return run
      })
    },

    async get(threadId: string, id: string): Promise<Run | null> {
      const { rows } = await ctx.client.query('SELECT body FROM runs WHERE id = $1 AND thread_id = $2', [id, threadId])
      return bodies<Run>(rows)[0] ?? null
    },

    async list(threadId: string, query?: ListQuery): Promise<ListPage<Run>> {
      const { rows } = await ctx.client.query('SELECT 1 FROM threads WHERE id = $1', [threadId])
      if (rows.length === 0) throw notFound('thread', threadId)
      return listPage<Run>(ctx.client, { table: 'runs', parent: [['thread_id', threadId]] }, query)
    },

    update(threadId: string, id: string, patch: RunPatch, options: RunUpdateOptions = {}): Promise<Run> {
      return ctx.atomic(async (client) => {
        const { rows } = await client.query('SELECT body FROM runs WHERE id = $1 AND thread_id = $2 FOR UPDATE', [
          id,
          threadId,
        ])
        const current = bodies<Run>(rows)[0]
        if (current === undefined) throw notFound('run', id)
        if (options.ifStatus !== undefined && !options.ifStatus.includes(current.status)) {
          throw new StoreError('conflict', `Cannot update run ${id}: its status is ${current.status}`, {
            kind: 'run',
            id,
          })
        }
        const next: Run = { ...current, ...definedOnly(patch) }
        await guardUnique(threadId, () =>
          client.query('UPDATE runs SET status = $2, body = $3::json WHERE id = $1', [
            id,
            next.status,
            JSON.stringify(next),
          ]),
        )
        return next
      })
    },

    async listByStatus(statuses: readonly RunStatus[]): Promise<Run[]> {
      const { rows } = await ctx.client.query(
        'SELECT body FROM runs WHERE status = ANY($1::text[]) ORDER BY created_at, seq',
        [[...statuses]],
      )
      return bodies<Run>(rows)
    },

    async countByStatus(): Promise<Partial<Record<RunStatus, number>>> {
      const { rows } = await ctx.client.query('SELECT status, count(*)::int AS n FROM runs GROUP BY status')
      return Object.fromEntries(rows.map((row) => [row['status'] as RunStatus, row['n'] as number]))
    },

    activeRun(threadId: string): Promise<Run | null> {
      return findActive(ctx.client, threadId)
    },

    async hasActiveRun(threadId: string): Promise<boolean> {
      return (await findActive(ctx.client, threadId)) !== null
    },
  }
}

async function findActive(client: SqlClient, threadId: string): Promise<Run | null> {
  const { rows } = await client.query(
    'SELECT body FROM runs WHERE thread_id = $1 AND status = ANY($2::text[]) LIMIT 1',
    [threadId, [...ACTIVE_RUN_STATUSES]],
  )
  return bodies<Run>(rows)[0] ?? null
}

function activeRunConflict(threadId: string, runId: string): StoreError {
  return new StoreError('conflict', `Thread ${threadId} already has an active run ${runId}.`, {
    kind: 'thread',
    id: threadId,
  })
}

/** Maps a runs_one_active violation (a concurrent writer on a real PostgreSQL) to the same conflict error. */
async function guardUnique<T>(threadId: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (isSqlState(err, UNIQUE_VIOLATION)) {
      throw new StoreError('conflict', `Thread ${threadId} already has an active run.`, {
        kind: 'thread',
        id: threadId,
        cause: err,
      })
    }
    throw err
  }
}
