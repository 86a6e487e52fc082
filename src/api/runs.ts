import { BadRequestError, NotFoundError } from '../http/errors.js'
import type { Context, Router, RouteSchemas } from '../http/router.js'
import type { Assistant } from '../schemas/assistants.js'
import type { MessageCreateParams } from '../schemas/messages.js'
import {
  Run,
  RunCreateParams,
  RunCreateQuery,
  RunListParams,
  RunPath,
  RunsPage,
  RunSubmitToolOutputsParams,
  RunUpdateParams,
  ThreadCreateAndRunParams,
} from '../schemas/runs.js'
import type { AssistantStreamEvent } from '../schemas/stream-events.js'
import type { Thread } from '../schemas/threads.js'
import { ThreadPath } from '../schemas/threads.js'
import type { Store } from '../store/store.js'
import { checkNewMessages, checkToolResources, checkTools, modelTakesImages } from './assistants-input.js'
import { checkModelName, requireRuns, type ApiDeps } from './deps.js'
import { runStream } from './run-stream.js'
import { resolveRunSettings } from './run-settings.js'

/** Registers the run routes: create (also with a new thread), list, retrieve, modify, cancel, submit_tool_outputs. */
export function registerRuns(router: Router, deps: ApiDeps): void {
  const { store } = deps
  const poll = <S extends RouteSchemas>(c: Context<S>) => c.header('openai-poll-after-ms', String(deps.pollAfterMs))

  router.post(
    '/v1/threads/:thread_id/runs',
    { params: ThreadPath, query: RunCreateQuery, body: RunCreateParams, response: Run, summary: 'Creates a run' },
    async (c) => {
      const thread = await store.threads.get(c.params.thread_id)
      if (!thread) throw new NotFoundError('thread', c.params.thread_id)
      checkNewMessages(c.body.additional_messages ?? undefined, {
        param: 'additional_messages',
        hasImageInput: modelTakesImages(deps),
      })
      poll(c)
      return startRun(deps, thread, c.body, c.body.additional_messages ?? [], [])
    },
  )

  router.post(
    '/v1/threads/runs',
    { body: ThreadCreateAndRunParams, response: Run, summary: 'Creates a thread and runs it' },
    async (c) => {
      checkNewMessages(c.body.thread?.messages, { param: 'thread.messages', hasImageInput: modelTakesImages(deps) })
      checkToolResources(c.body.thread?.tool_resources, 'thread.tool_resources')
      checkToolResources(c.body.tool_resources)
      await loadAssistant(deps, store, c.body) // fail before creating a thread
      const thread = await store.threads.create(c.body.thread ?? {})
      poll(c)
      return startRun(deps, thread, c.body, [], [{ event: 'thread.created', data: thread }])
    },
  )

  router.get(
    '/v1/threads/:thread_id/runs',
    { params: ThreadPath, query: RunListParams, response: RunsPage, summary: 'Lists the runs of a thread' },
    async (c) => {
      if (!(await store.threads.get(c.params.thread_id))) throw new NotFoundError('thread', c.params.thread_id)
      return store.runs.list(c.params.thread_id, c.query)
    },
  )

  router.get(
    '/v1/threads/:thread_id/runs/:run_id',
    { params: RunPath, response: Run, summary: 'Retrieves a run' },
    async (c) => {
      const run = await store.runs.get(c.params.thread_id, c.params.run_id)
      if (!run) throw new NotFoundError('run', c.params.run_id)
      poll(c)
      return run
    },
  )

  router.post(
    '/v1/threads/:thread_id/runs/:run_id',
    { params: RunPath, body: RunUpdateParams, response: Run, summary: "Modifies a run's metadata" },
    async (c) => {
      if (!(await store.runs.get(c.params.thread_id, c.params.run_id))) throw new NotFoundError('run', c.params.run_id)
      return store.runs.update(
        c.params.thread_id,
        c.params.run_id,
        c.body.metadata === undefined ? {} : { metadata: c.body.metadata ?? {} },
      )
    },
  )

  router.post(
    '/v1/threads/:thread_id/runs/:run_id/cancel',
    { params: RunPath, response: Run, summary: 'Cancels a run' },
    async (c) => {
      const runs = requireRuns(deps)
      poll(c)
      return runs.cancel(c.params.thread_id, c.params.run_id)
    },
  )

  router.post(
    '/v1/threads/:thread_id/runs/:run_id/submit_tool_outputs',
    {
      params: RunPath,
      body: RunSubmitToolOutputsParams,
      response: Run,
      summary: 'Submits tool outputs and continues the run',
    },
    async (c) => {
      const runs = requireRuns(deps)
      poll(c)
      if (!c.body.stream) return runs.submitToolOutputs(c.params.thread_id, c.params.run_id, c.body.tool_outputs)
      // subscribe first: the continued run's events start as soon as the outputs are recorded
      const events = deps.events.subscribe(c.params.run_id)
      try {
        await runs.submitToolOutputs(c.params.thread_id, c.params.run_id, c.body.tool_outputs)
      } catch (error) {
        await events.return?.()
        throw error
      }
      return runStream([], events)
    },
  )
}

async function loadAssistant(
  deps: ApiDeps,
  store: Store,
  body: RunCreateParams | ThreadCreateAndRunParams,
): Promise<{ assistant: Assistant; model: string }> {
  const assistant = await store.assistants.get(body.assistant_id)
  if (!assistant) throw new NotFoundError('assistant', body.assistant_id)
  const model = body.model ?? assistant.model
  checkModelName(deps, model)
  checkTools(body.tools ?? assistant.tools)
  if (body.tool_choice && typeof body.tool_choice === 'object' && body.tool_choice.type !== 'function') {
    throw new BadRequestError(`Tool type '${body.tool_choice.type}' is not supported by this server yet`, {
      param: 'tool_choice.type',
    })
  }
  return { assistant, model }
}

/** Creates the run (with its additional messages, in one transaction) and queues it; streams when asked. */
async function startRun(
  deps: ApiDeps,
  thread: Thread,
  body: RunCreateParams | ThreadCreateAndRunParams,
  additional: MessageCreateParams[],
  before: AssistantStreamEvent[],
) {
  const { store } = deps
  const runs = requireRuns(deps)
  const { assistant, model } = await loadAssistant(deps, store, body)
  const init = resolveRunSettings(body, assistant, model)
  const run = await store.transaction(async (tx) => {
    if (await tx.runs.hasActiveRun(thread.id)) {
      const active = await tx.runs.activeRun(thread.id)
      throw new BadRequestError(`Thread ${thread.id} already has an active run ${active?.id ?? ''}.`, {
        shouldRetry: false,
      })
    }
    for (const message of additional) await tx.messages.create(thread.id, message)
    return tx.runs.create(thread.id, init)
  })
  if (!body.stream) {
    runs.enqueue(run)
    return run
  }
  const events = deps.events.subscribe(run.id)
  runs.enqueue(run)
  return runStream(
    [...before, { event: 'thread.run.created', data: run }, { event: 'thread.run.queued', data: run }],
    events,
  )
}
