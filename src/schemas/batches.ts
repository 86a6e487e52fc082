import { Type, type Static } from 'typebox'
import { ExpiresAfter } from './files.js'
import { BatchId, ObjectIdOf } from './ids.js'
import { ListResponse, Metadata, Nullable, UnixTime } from './shared.js'

/** Endpoints a batch may target. */
export const BatchEndpoint = Type.Union(
  [
    Type.Literal('/v1/chat/completions'),
    Type.Literal('/v1/completions'),
    Type.Literal('/v1/embeddings'),
    Type.Literal('/v1/responses'),
  ],
  { description: 'The endpoint every request of the batch goes to.' },
)
export type BatchEndpoint = Static<typeof BatchEndpoint>

/** Status of a batch. */
export const BatchStatus = Type.Union([
  Type.Literal('validating'),
  Type.Literal('failed'),
  Type.Literal('in_progress'),
  Type.Literal('finalizing'),
  Type.Literal('completed'),
  Type.Literal('expired'),
  Type.Literal('cancelling'),
  Type.Literal('cancelled'),
])
export type BatchStatus = Static<typeof BatchStatus>

/** One problem found in a batch's input file. */
export const BatchError = Type.Object({
  code: Type.String(),
  message: Type.String(),
  param: Nullable(Type.String()),
  line: Nullable(Type.Integer({ minimum: 1, description: 'The 1-based line of the input file.' })),
})
export type BatchError = Static<typeof BatchError>

/** Requests of a batch: lines, successes, failures. */
export const BatchRequestCounts = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  completed: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
})
export type BatchRequestCounts = Static<typeof BatchRequestCounts>

/** Tokens the batch's successful requests used, summed as each one is recorded. */
export const BatchUsage = Type.Object({
  input_tokens: Type.Integer({ minimum: 0 }),
  input_tokens_details: Type.Object({ cached_tokens: Type.Integer({ minimum: 0 }) }),
  output_tokens: Type.Integer({ minimum: 0 }),
  output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer({ minimum: 0 }) }),
  total_tokens: Type.Integer({ minimum: 0 }),
})
export type BatchUsage = Static<typeof BatchUsage>

/** A batch; the optional fields are omitted until they are known. */
export const Batch = Type.Object({
  id: Type.String(),
  object: Type.Literal('batch'),
  endpoint: BatchEndpoint,
  input_file_id: Type.String(),
  completion_window: Type.String(),
  status: BatchStatus,
  created_at: UnixTime,
  expires_at: Type.Optional(UnixTime),
  in_progress_at: Type.Optional(UnixTime),
  finalizing_at: Type.Optional(UnixTime),
  completed_at: Type.Optional(UnixTime),
  failed_at: Type.Optional(UnixTime),
  expired_at: Type.Optional(UnixTime),
  cancelling_at: Type.Optional(UnixTime),
  cancelled_at: Type.Optional(UnixTime),
  output_file_id: Type.Optional(Type.String()),
  error_file_id: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Object({ object: Type.Literal('list'), data: Type.Array(BatchError) })),
  request_counts: Type.Optional(BatchRequestCounts),
  metadata: Type.Optional(Nullable(Metadata)),
  model: Type.Optional(Type.String()),
  usage: Type.Optional(BatchUsage),
})
export type Batch = Static<typeof Batch>

/** Body of POST /v1/batches. */
export const BatchCreateParams = Type.Object(
  {
    input_file_id: ObjectIdOf('file', "The input file ('file-...', purpose batch)."),
    endpoint: Type.String({
      description: 'One of /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses.',
    }),
    completion_window: Type.Literal('24h'),
    metadata: Type.Optional(Nullable(Metadata)),
    output_expires_after: Type.Optional(ExpiresAfter),
  },
  { additionalProperties: false },
)
export type BatchCreateParams = Static<typeof BatchCreateParams>

/** Query of GET /v1/batches. */
export const BatchListParams = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Number of batches to return, 1 to 100.' }),
  ),
  after: Type.Optional(ObjectIdOf('batch', 'Batch id after which the page starts.')),
})
export type BatchListParams = Static<typeof BatchListParams>

/** A page of batches. */
export const BatchList = ListResponse(Batch)

/** Path of the /v1/batches/{batch_id} routes; a malformed id is the same 404 as an unknown one. */
export const BatchPath = Type.Object({ batch_id: BatchId })
