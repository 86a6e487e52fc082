import type { Engine } from '../engine/engine.js'
import { EngineError } from '../engine/errors.js'
import type { Slot } from '../engine/scheduler.js'
import { BadRequestError, NotFoundError } from '../http/errors.js'
import type { Logger } from '../http/logger.js'
import type { Response, ResponseItem, ResponseOutputItem, ResponseStatus } from '../schemas/responses.js'
import type { ResponseStreamEvent } from '../schemas/responses-stream.js'
import { StoreError } from '../store/errors.js'
import { OwnedJobs, SHUTDOWN, type OwnedJob } from '../runs/owned-jobs.js'
import type { ResponseJob, ResponsePatch, Store } from '../store/store.js'
import { toApiError } from './errors.js'
import { ResponseEventLog } from './response-event-log.js'
import { contextItems, conversationIdOf, openResponse } from './responses-context.js'
import { isTerminal, type ResponseStreamEvent as Unnumbered } from './responses-reply.js'

/** Statuses a background response is still going in; after a restart each is picked up. */
export const LIVE_RESPONSE_STATUSES: readonly ResponseStatus[] = ['queued', 'in_progress']

// How often a running response's output and events are stored (and at its end)
const FLUSH_MS = 250

interface Owned extends OwnedJob {
  log: ResponseEventLog
  /** Events of the log already in the store. */
  stored: number
}

/** What the runner needs: the store, the engine whose background lane it waits in, a logger. */
export type ResponseRunnerOptions = { store: Store; engine: Engine; logger: Logger }

/**
 * Owns every background response of this process: hands each queued one to the engine's background lane (the
 * scheduler decides when it starts; like a run it stays `queued` until it holds a slot), stores its output and
 * numbered events as it runs, and makes every later change of its status: cancel, failure, and recovery after a
 * restart. The store's guarded writes decide every race between a cancel and the runner.
 */
export class ResponseRunner {
  #o: ResponseRunnerOptions
  #owned = new OwnedJobs<Owned>()

  constructor(options: ResponseRunnerOptions) {
    this.#o = options
  }

  /** Background responses waiting for a slot and running now. */
  get stats(): { waiting: number; running: number } {
    return this.#owned.stats
  }

  /** Hands a stored, queued background response to the engine's background lane; `stored` are its events so far. */
  enqueue(job: ResponseJob, stored: ResponseStreamEvent[]): void {
    const id = job.response.id
    const log = new ResponseEventLog(stored)
    const owned: Owned = { controller: new AbortController(), log, stored: log.length, started: false }
    this.#owned.run(id, owned, () =>
      this.#execute(job, owned)
        .catch((error: Error) => this.#o.logger.error(`Response ${id} could not be run: ${error.message}`))
        .finally(() => log.end()),
    )
  }

  /** The events of a response this process runs, after `after`, then live until it ends; null if it runs nowhere here. */
  follow(id: string, after: number): AsyncGenerator<ResponseStreamEvent> | null {
    return this.#owned.get(id)?.log.follow(after) ?? null
  }

  /**
   * Cancels a background response, queued or in progress, at once: its output stays as stored, open items end
   * incomplete. A response already finished (cancelled included) is returned as it is; one that is not a background
   * response is a 400.
   */
  async cancel(id: string): Promise<Response> {
    const response = await this.#o.store.transaction(async (tx) => {
      const found = await tx.responses.get(id)
      if (!found) throw new NotFoundError('response', id)
      if (!found.background)
        throw new BadRequestError('Only responses created with background=true can be cancelled.', {
          shouldRetry: false,
        })
      if (!LIVE_RESPONSE_STATUSES.includes(found.status)) return found
      const patch: ResponsePatch = { status: 'cancelled', output: endOpenItems(found.output) }
      return tx.responses.update(id, patch, { ifStatus: [found.status] })
    })
    // the runner stops within a decode step; its next guarded write finds the response cancelled
    if (response.status === 'cancelled') this.#owned.get(id)?.controller.abort()
    return response
  }

  /**
   * Startup recovery: queued background responses run again in order; one that was in progress fails with a
   * server_error (its stored output kept, open items incomplete), since what it streamed cannot be taken back.
   */
  async recover(): Promise<{ requeued: number; failed: number }> {
    const counts = { requeued: 0, failed: 0 }
    for (const job of await this.#o.store.responses.jobs(LIVE_RESPONSE_STATUSES)) {
      const stored = await this.#o.store.responses.events(job.response.id, -1)
      if (job.response.status === 'queued') {
        counts.requeued++
        this.enqueue(job, stored)
        continue
      }
      counts.failed++
      const log = new ResponseEventLog(stored)
      const message = 'The server stopped while this response was in progress; create it again'
      await this.#fail(job.response.id, { log, stored: log.length }, message)
    }
    return counts
  }

  /** Resolves once no background response is running or waiting (tests and shutdown). */
  idle(): Promise<void> {
    return this.#owned.idle()
  }

  /** Stops taking work; running responses fail, queued ones stay queued in the store for the next start. */
  close(): Promise<void> {
    return this.#owned.close()
  }

  async #execute(job: ResponseJob, owned: Owned): Promise<void> {
    const { signal } = owned.controller
    let slot: Slot
    try {
      slot = await this.#o.engine.reserve('background', signal)
    } catch (error) {
      // cancelled or shutting down while it waited: the cancel wrote it, or it stays queued for the next start
      if (signal.aborted || (error instanceof EngineError && error.code === 'closed')) return
      return this.#fail(job.response.id, owned, messageOf(error))
    }
    try {
      await this.#run(job, owned, slot)
    } finally {
      slot.release()
    }
  }

  async #run(job: ResponseJob, owned: Owned, slot: Slot): Promise<void> {
    const { store, engine } = this.#o
    const { signal } = owned.controller
    const id = job.response.id
    // cancelled as the slot came: nothing runs
    if (signal.aborted) return
    let response: Response
    try {
      response = await store.responses.update(id, { status: 'in_progress' }, { ifStatus: ['queued'] })
    } catch (error) {
      if (isGone(error)) return // a cancel or a delete landed between the grant and this write: it wins
      throw error
    }
    owned.started = true
    const body = job.request
    const conversationId = conversationIdOf(body.conversation)
    let stream: AsyncGenerator<Unnumbered> | null = null
    try {
      const input = await store.responses.inputItems(id)
      const context = await contextItems(store, body.previous_response_id, conversationId)
      const opened = await openResponse(engine, body, [...context, ...input], {
        draft: response,
        call: { signal, slot },
      })
      stream = opened.opened.done ? null : opened.stream
      let flushedAt = Date.now()
      const events = stream ? [opened.opened.head, stream] : [opened.opened.head]
      for (const source of events) {
        for await (const event of source) {
          if (event.type === 'response.created') continue // sent when it was queued
          if (isTerminal(event)) {
            const final = owned.log.number(event)
            const conversation = conversationId
              ? { id: conversationId, items: [...input, ...event.response.output] }
              : null
            await this.#save(id, owned, event.response, [final], conversation)
            owned.log.push(final)
            return
          }
          owned.log.push(owned.log.number(event))
          if (Date.now() - flushedAt >= FLUSH_MS) {
            await this.#save(id, owned, { output: owned.log.output })
            flushedAt = Date.now()
          }
        }
      }
      throw new Error('The generation ended without a result')
    } catch (error) {
      // cancelled (or deleted) while it ran: the cancel already wrote the response; the engine stops within a step
      if (isGone(error) || (signal.aborted && signal.reason !== SHUTDOWN)) return owned.controller.abort()
      const message = signal.aborted
        ? 'The server shut down while this response was in progress; create it again'
        : messageOf(error)
      if (!signal.aborted) this.#o.logger.error(`Response ${id} failed: ${message}`)
      await this.#fail(id, owned, message)
    } finally {
      await stream?.return(undefined)
    }
  }

  /**
   * Stores the events not yet stored (and `extra`) with a patch of the in-progress response, in one transaction that
   * also appends a finished response's items to its conversation; a cancel that came first makes it throw `conflict`.
   */
  async #save(
    id: string,
    owned: Owned,
    patch: ResponsePatch,
    extra: ResponseStreamEvent[] = [],
    conversation: { id: string; items: ResponseItem[] } | null = null,
  ): Promise<void> {
    const pending = [...owned.log.slice(owned.stored), ...extra]
    await this.#o.store.transaction(async (tx) => {
      await tx.responses.update(id, patch, { ifStatus: ['in_progress'] })
      await tx.responses.appendEvents(id, pending)
      if (conversation) await tx.conversations.appendItems(conversation.id, conversation.items)
    })
    owned.stored += pending.length
  }

  /** Ends a queued or running response as failed, with a `response.failed` event after the events it had. */
  async #fail(id: string, owned: Pick<Owned, 'log' | 'stored'>, message: string): Promise<void> {
    const { log } = owned
    try {
      const event = await this.#o.store.transaction(async (tx) => {
        const patch: ResponsePatch = {
          status: 'failed',
          error: { code: 'server_error', message },
          output: endOpenItems(log.output),
        }
        const failed = await tx.responses.update(id, patch, { ifStatus: LIVE_RESPONSE_STATUSES })
        const last = log.number({ type: 'response.failed', response: failed })
        await tx.responses.appendEvents(id, [...log.slice(owned.stored), last])
        return last
      })
      log.push(event)
    } catch (error) {
      if (!isGone(error)) throw error // else a cancel came first
    }
  }
}

// Items still being written when a response stopped end incomplete
function endOpenItems(output: ResponseOutputItem[]): ResponseOutputItem[] {
  return output.map((item) => (item.status === 'in_progress' ? { ...item, status: 'incomplete' } : item))
}

// the response itself was cancelled or deleted (a deleted conversation is a failure of the response instead)
function isGone(error: unknown): boolean {
  return error instanceof StoreError && error.kind === 'response' && ['conflict', 'not_found'].includes(error.code)
}

function messageOf(error: unknown): string {
  const mapped = toApiError(error, null)
  if (mapped) return mapped.message
  return error instanceof Error ? error.message : 'The server failed to generate the response'
}
