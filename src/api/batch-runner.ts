import type { HttpResponse } from '../http/http-app.js'
import type { Logger } from '../http/logger.js'
import { createIncomingRequest, type IncomingRequest } from '../http/request.js'
import type { Batch, BatchStatus } from '../schemas/batches.js'
import type { FileBlobs } from '../store/file-blobs.js'
import { StoreError } from '../store/errors.js'
import { newId } from '../store/ids.js'
import type { Store } from '../store/store.js'
import { jsonlLines, parseLine, type BatchLine, checkInput } from './batch-input.js'
import { retryDelayMs, waitToRetry } from './batch-retry.js'
import { usageOf } from './batch-usage.js'
import { saveFile } from './files.js'

/** Statuses a batch is still working in; after a restart each is picked up again. */
const UNFINISHED: readonly BatchStatus[] = ['validating', 'in_progress', 'finalizing', 'cancelling']
const RESULT_PAGE = 500

/** What the runner needs: the store and bytes, and the app's own request handler to run each line through. */
export type BatchRunnerOptions = {
  store: Store
  blobs: FileBlobs
  /** The HTTP app's handle(): each request goes through its endpoint's own validation and reply shaping. */
  handle: (request: IncomingRequest) => Promise<HttpResponse>
  /** Requests of one batch in flight at once (the engine's slots; the scheduler's batch lane orders them). */
  concurrency: number
  /** Headers for every in-process request (authorization when the server has API keys). */
  headers?: Record<string, string>
  /** Resolves when the engine can take work again (after a crash, once restarted): retries wait for it. */
  whenReady?: () => Promise<void>
  logger: Logger
}

type Task = { controller: AbortController; done: Promise<void> }

const now = (): number => Math.floor(Date.now() / 1000)

/**
 * Runs batches in the background: validates the input file, sends each line through the app at the batch lane,
 * records each finished request durably before it counts, writes the output and error files. A restart resumes
 * every unfinished batch at its first unfinished line; cancel and expiry keep the partial output.
 */
export class BatchRunner {
  #o: BatchRunnerOptions
  #tasks = new Map<string, Task>()
  #closed = false
  #retries = 0

  constructor(options: BatchRunnerOptions) {
    this.#o = options
  }

  /** Requests sent again after a transient failure, since the start (logs, tests). */
  get retries(): number {
    return this.#retries
  }

  /** Starts (or resumes) working on a batch in the background. */
  start(id: string): void {
    if (this.#closed || this.#tasks.has(id)) return
    const controller = new AbortController()
    const done = this.#work(id, controller.signal)
      .catch((error: unknown) => this.#fail(id, error))
      .finally(() => this.#tasks.delete(id))
    this.#tasks.set(id, { controller, done })
  }

  /** Moves a batch to `cancelling`; its task stops sending requests and ends it `cancelled` with partial output. */
  async cancel(id: string): Promise<Batch> {
    const batch = await this.#o.store.batches.update(
      id,
      { status: 'cancelling', cancelling_at: now() },
      { ifStatus: ['validating', 'in_progress'] },
    )
    const task = this.#tasks.get(id)
    if (task) task.controller.abort()
    else this.start(id)
    return batch
  }

  /** Picks up every unfinished batch after a restart. */
  async recover(): Promise<number> {
    const batches = await this.#o.store.batches.listByStatus(UNFINISHED)
    for (const batch of batches) this.start(batch.id)
    return batches.length
  }

  /** Stops every task without changing its batch (a restart resumes it) and waits for them. */
  async close(): Promise<void> {
    this.#closed = true
    for (const task of this.#tasks.values()) task.controller.abort()
    await Promise.all([...this.#tasks.values()].map((task) => task.done))
  }

  /** Resolves when the batch's task (if any) has ended (tests, shutdown). */
  async settled(id: string): Promise<void> {
    await this.#tasks.get(id)?.done
  }

  /** Ends a batch whose task broke (its input file vanished, the store failed) as `failed`, unless shutting down. */
  async #fail(id: string, error: unknown): Promise<void> {
    this.#o.logger.error('Batch failed', { batch_id: id, error })
    if (this.#closed) return
    // the log has the details; the batch says what a caller can act on, never a server path
    const gone = (error as { code?: unknown } | null)?.code === 'ENOENT'
    const message = gone
      ? 'The input file was deleted while the batch ran.'
      : 'The batch stopped on a server error; see the server log.'
    await this.#o.store.batches
      .update(
        id,
        {
          status: 'failed',
          failed_at: now(),
          errors: { object: 'list', data: [{ code: 'server_error', message, param: null, line: null }] },
        },
        { ifStatus: UNFINISHED },
      )
      .catch(() => undefined)
  }

  /** Applies a status move if the batch is still in `from`; otherwise (a cancel came first) returns it as it is now. */
  async #move(batch: Batch, patch: Partial<Batch>, from: BatchStatus): Promise<Batch> {
    try {
      return await this.#o.store.batches.update(batch.id, patch, { ifStatus: [from] })
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'conflict')) throw error
      return (await this.#o.store.batches.get(batch.id)) ?? batch
    }
  }

  async #work(id: string, signal: AbortSignal): Promise<void> {
    const { store } = this.#o
    let batch = await store.batches.get(id)
    if (!batch) return
    if (batch.status === 'validating') batch = await this.#validate(batch)
    if (batch.status === 'in_progress') batch = await this.#execute(batch, signal)
    if (this.#closed) return
    if (batch.status === 'in_progress')
      batch = await this.#move(batch, { status: 'finalizing', finalizing_at: now() }, 'in_progress')
    if (batch.status === 'finalizing') await this.#finalize(batch, 'completed')
    else if (batch.status === 'cancelling') await this.#finalize(batch, 'cancelled')
  }

  async #validate(batch: Batch): Promise<Batch> {
    const { store, blobs } = this.#o
    const input = await store.files.get(batch.input_file_id)
    const check = input
      ? await checkInput(blobs.read(input.id), batch.endpoint)
      : {
          total: 0,
          model: null,
          errors: [
            { code: 'missing_file', message: 'The input file was deleted.', param: 'input_file_id', line: null },
          ],
        }
    if (check.errors.length > 0)
      return this.#move(
        batch,
        { status: 'failed', failed_at: now(), errors: { object: 'list', data: check.errors } },
        'validating',
      )
    return this.#move(
      batch,
      {
        status: 'in_progress',
        in_progress_at: now(),
        request_counts: { total: check.total, completed: 0, failed: 0 },
        ...(check.model === null ? {} : { model: check.model }),
      },
      'validating',
    )
  }

  /** Sends every unfinished line through the app, `concurrency` at a time; stops on cancel, expiry or close. */
  async #execute(batch: Batch, signal: AbortSignal): Promise<Batch> {
    const { store, blobs } = this.#o
    const done = await store.batches.doneLines(batch.id)
    const expiresIn = ((batch.expires_at ?? Infinity) - Date.now() / 1000) * 1000
    const expiry = new AbortController()
    const timer = Number.isFinite(expiresIn) ? setTimeout(() => expiry.abort(), Math.max(0, expiresIn)) : null
    const stop = AbortSignal.any([signal, expiry.signal])
    const inFlight = new Set<Promise<void>>()
    try {
      for await (const { line, text } of jsonlLines(blobs.read(batch.input_file_id))) {
        if (Date.now() / 1000 >= (batch.expires_at ?? Infinity)) expiry.abort() // the timer may not have run yet
        if (stop.aborted) break
        if (done.has(line)) continue
        const parsed = parseLine(text, line, batch.endpoint)
        if ('code' in parsed) continue // validated before: the file cannot have changed
        const request = this.#send(batch, parsed, stop).finally(() => inFlight.delete(request))
        inFlight.add(request)
        if (inFlight.size >= this.#o.concurrency) await Promise.race(inFlight)
      }
      await Promise.all(inFlight)
    } finally {
      if (timer) clearTimeout(timer)
    }
    const current = (await store.batches.get(batch.id)) ?? batch
    if (expiry.signal.aborted && current.status === 'in_progress' && !this.#closed) {
      await this.#finalize(current, 'expired')
      return (await store.batches.get(batch.id)) ?? current
    }
    return current
  }

  /**
   * Runs one line through the app and records its output line with its usage. A transient failure (503: engine
   * restarting or stopping; 429, 408, 502, 504) is sent again after a back-off, unless the reply says
   * `x-should-retry: false`; a request cut short by a stop is not recorded, so a restart runs it again.
   */
  async #send(batch: Batch, request: BatchLine, stop: AbortSignal): Promise<void> {
    let response: HttpResponse
    for (let attempt = 0; ; attempt++) {
      response = await this.#o.handle(
        createIncomingRequest('POST', batch.endpoint, {
          json: request.body,
          headers: { ...this.#o.headers },
          lane: 'batch',
          signal: stop,
        }),
      )
      if (stop.aborted) return
      const wait = retryDelayMs(response, attempt)
      if (wait === null) break
      this.#retries++
      await waitToRetry(wait, stop, this.#o.whenReady)
      if (stop.aborted) return
    }
    let status = response.status
    let body: unknown
    if ('body' in response) {
      body = JSON.parse(response.body)
    } else {
      status = 400
      body = {
        error: {
          message: 'Streaming is not supported in a batch.',
          type: 'invalid_request_error',
          param: 'stream',
          code: null,
        },
      }
    }
    const ok = status >= 200 && status < 300
    const output = JSON.stringify({
      id: newId('batch_req'),
      custom_id: request.custom_id,
      response: { status_code: status, request_id: response.headers['x-request-id'] ?? null, body },
      error: null,
    })
    const usage = ok ? usageOf(body) : null
    await this.#o.store.batches.recordResult(batch.id, { line: request.line, ok, output, usage })
  }

  /**
   * Writes the output file (successes) and the error file (failures, then every unfinished line as
   * `batch_cancelled` or `batch_expired`), then ends the batch in `final`.
   */
  async #finalize(batch: Batch, final: 'completed' | 'cancelled' | 'expired'): Promise<void> {
    const { store, blobs } = this.#o
    const total = batch.request_counts?.total ?? 0
    const done = await store.batches.doneLines(batch.id)
    const unfinished = final === 'completed' ? 0 : Math.max(0, total - done.size)
    const counts = batch.request_counts ?? { total, completed: 0, failed: 0 }
    const patch: Partial<Batch> = { request_counts: { ...counts, failed: counts.failed + unfinished } }
    const seconds = await store.batches.outputExpiresAfter(batch.id)
    const expiresAfter = seconds === null ? null : { anchor: 'created_at' as const, seconds }
    if (counts.completed > 0 && !batch.output_file_id) {
      const temp = await blobs.write(lines(this.#results(batch.id, true)))
      const file = await saveFile({ store, blobs }, temp, {
        filename: `${batch.id}_output.jsonl`,
        purpose: 'batch_output',
        expiresAfter,
      })
      patch.output_file_id = file.id
    }
    if (counts.failed + unfinished > 0 && !batch.error_file_id) {
      const code = final === 'expired' ? 'batch_expired' : 'batch_cancelled'
      const rows = concat(this.#results(batch.id, false), this.#unfinished(batch, done, code, unfinished > 0))
      const temp = await blobs.write(lines(rows))
      const file = await saveFile({ store, blobs }, temp, {
        filename: `${batch.id}_error.jsonl`,
        purpose: 'batch_output',
        expiresAfter,
      })
      patch.error_file_id = file.id
    }
    const at = now()
    const stamp =
      final === 'completed' ? { completed_at: at } : final === 'cancelled' ? { cancelled_at: at } : { expired_at: at }
    await store.batches.update(batch.id, { ...patch, status: final, ...stamp })
  }

  async *#results(id: string, ok: boolean): AsyncGenerator<string> {
    let after = 0
    for (;;) {
      const page = await this.#o.store.batches.results(id, ok, after, RESULT_PAGE)
      for (const result of page) yield result.output
      const last = page.at(-1)
      if (!last || page.length < RESULT_PAGE) return
      after = last.line
    }
  }

  async *#unfinished(batch: Batch, done: Set<number>, code: string, any: boolean): AsyncGenerator<string> {
    if (!any) return
    const message =
      code === 'batch_expired'
        ? 'The batch expired before this request ran.'
        : 'The batch was cancelled before this request ran.'
    for await (const { line, text } of jsonlLines(this.#o.blobs.read(batch.input_file_id))) {
      if (done.has(line)) continue
      const parsed = parseLine(text, line, batch.endpoint)
      const customId = 'code' in parsed ? null : parsed.custom_id
      yield JSON.stringify({ id: newId('batch_req'), custom_id: customId, response: null, error: { code, message } })
    }
  }
}

async function* concat<T>(...sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  for (const source of sources) yield* source
}

async function* lines(rows: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder()
  for await (const row of rows) yield encoder.encode(`${row}\n`)
}
