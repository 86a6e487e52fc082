import { BadRequestError, NotFoundError, ServiceUnavailableError } from '../http/errors.js'
import type { Router } from '../http/router.js'
import {
  Batch,
  BatchCreateParams,
  BatchList,
  BatchListParams,
  BatchPath,
  type BatchEndpoint,
} from '../schemas/batches.js'
import { newId } from '../store/ids.js'
import type { Store } from '../store/store.js'
import { MAX_BATCH_INPUT_BYTES, MAX_BATCH_LINES, jsonlLines } from './batch-input.js'
import type { BatchRunner } from './batch-runner.js'
import { NO_USAGE } from './batch-usage.js'
import type { ApiDeps } from './deps.js'
import { liveFile } from './files.js'

const ENDPOINTS: readonly string[] = [
  '/v1/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/responses',
] satisfies BatchEndpoint[]
const WINDOW_S = 24 * 3600

/** Registers the /v1/batches routes (create, list, retrieve, cancel). */
export function registerBatches(router: Router, deps: ApiDeps): void {
  router.post(
    '/v1/batches',
    { body: BatchCreateParams, response: Batch, summary: 'Creates a batch from a JSONL file of requests' },
    async (c) => {
      const { store, blobs } = deps
      const runner = requireRunner(deps)
      const { endpoint, input_file_id: inputId } = c.body
      if (!ENDPOINTS.includes(endpoint))
        throw new BadRequestError(
          `Unsupported endpoint '${endpoint}': this server runs batches for ${ENDPOINTS.join(', ')}.`,
          { param: 'endpoint', shouldRetry: false },
        )
      const input = await liveFile(deps, inputId)
      if (!input) throw new BadRequestError(`No file found with id '${inputId}'.`, { param: 'input_file_id' })
      if (input.purpose !== 'batch')
        throw new BadRequestError(`File '${inputId}' has purpose '${input.purpose}'; a batch input needs 'batch'.`, {
          param: 'input_file_id',
        })
      if (input.bytes > MAX_BATCH_INPUT_BYTES)
        throw new BadRequestError(
          `The input file is ${input.bytes} bytes; a batch input may be at most ${MAX_BATCH_INPUT_BYTES} bytes (200 MB).`,
          { param: 'input_file_id', code: 'file_too_large', shouldRetry: false },
        )
      let lines = 0
      for await (const _ of jsonlLines(blobs.read(input.id))) {
        if (++lines > MAX_BATCH_LINES)
          throw new BadRequestError(`The input file has more than ${MAX_BATCH_LINES} requests.`, {
            param: 'input_file_id',
            code: 'too_many_requests',
            shouldRetry: false,
          })
      }
      const createdAt = Math.floor(Date.now() / 1000)
      const batch = await store.batches.create(
        {
          id: newId('batch'),
          object: 'batch',
          endpoint: endpoint as BatchEndpoint,
          input_file_id: inputId,
          completion_window: c.body.completion_window,
          status: 'validating',
          created_at: createdAt,
          expires_at: createdAt + WINDOW_S,
          request_counts: { total: 0, completed: 0, failed: 0 },
          metadata: c.body.metadata ?? null,
          usage: NO_USAGE,
        },
        { outputExpiresAfterS: c.body.output_expires_after?.seconds ?? null },
      )
      runner.start(batch.id)
      return batch
    },
  )

  router.get('/v1/batches', { query: BatchListParams, response: BatchList, summary: 'Lists batches' }, (c) =>
    deps.store.batches.list({ ...c.query, order: 'desc' }),
  )

  router.get('/v1/batches/:batch_id', { params: BatchPath, response: Batch, summary: 'Retrieves a batch' }, (c) =>
    findBatch(deps.store, c.params.batch_id),
  )

  router.post(
    '/v1/batches/:batch_id/cancel',
    { params: BatchPath, response: Batch, summary: 'Cancels a batch; finished requests stay in its output' },
    async (c) => {
      const batch = await findBatch(deps.store, c.params.batch_id)
      if (batch.status !== 'validating' && batch.status !== 'in_progress')
        throw new BadRequestError(`Cannot cancel batch '${batch.id}': it is ${batch.status}.`, { shouldRetry: false })
      return requireRunner(deps).cancel(batch.id)
    },
  )
}

async function findBatch(store: Store, id: string): Promise<Batch> {
  const batch = await store.batches.get(id)
  if (!batch) throw new NotFoundError('batch', id)
  return batch
}

function requireRunner(deps: ApiDeps): BatchRunner {
  if (!deps.batches)
    throw new ServiceUnavailableError('The model is still loading; batches start once it is ready', {
      retryAfterMs: 2000,
      code: 'model_loading',
    })
  return deps.batches
}
