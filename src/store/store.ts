import type {
  Assistant,
  AssistantCreateParams,
  AssistantDeleted,
  AssistantUpdateParams,
} from '../schemas/assistants.js'
import type {
  Message,
  MessageAttachment,
  MessageContent,
  MessageContentPartParam,
  MessageDeleted,
  MessageIncompleteDetails,
  MessageListParams,
  MessageStatus,
} from '../schemas/messages.js'
import type { Conversation, ConversationDeleted, ItemListParams } from '../schemas/conversations.js'
import type {
  InputItemListParams,
  Response,
  ResponseCreateParams,
  ResponseDeleted,
  ResponseItem,
  ResponseStatus,
} from '../schemas/responses.js'
import type { ResponseStreamEvent } from '../schemas/responses-stream.js'
import type { RunStep } from '../schemas/run-steps.js'
import type { Run, RunStatus } from '../schemas/runs.js'
import type { ListPage, ListQuery, Metadata } from '../schemas/shared.js'
import type { Thread, ThreadCreateParams, ThreadDeleted, ThreadUpdateParams } from '../schemas/threads.js'
import type { Batch, BatchStatus, BatchUsage } from '../schemas/batches.js'
import type { FileObject } from '../schemas/files.js'
import type { Upload, UploadPart } from '../schemas/uploads.js'

/** Run statuses that hold the thread: at most one run per thread is in one of them. */
export const ACTIVE_RUN_STATUSES = [
  'queued',
  'in_progress',
  'requires_action',
  'cancelling',
] as const satisfies readonly RunStatus[]

/** A new message: create params plus what a run sets on the messages it writes. */
export type MessageInit = {
  role: Message['role']
  /** A string, create-body parts (`{type:'text', text:'…'}`) or finished content blocks. */
  content: string | Array<MessageContentPartParam | MessageContent>
  attachments?: MessageAttachment[] | null
  metadata?: Metadata | null
  assistant_id?: string | null
  run_id?: string | null
  status?: MessageStatus
}

/** Message fields a caller may change. */
export type MessagePatch = Partial<
  Pick<
    Message,
    'content' | 'status' | 'completed_at' | 'incomplete_at' | 'incomplete_details' | 'metadata' | 'attachments'
  >
>

/** A new run with every setting already resolved against its assistant (the store adds no defaults). */
export type RunInit = Pick<
  Run,
  | 'assistant_id'
  | 'model'
  | 'instructions'
  | 'tools'
  | 'tool_choice'
  | 'parallel_tool_calls'
  | 'response_format'
  | 'truncation_strategy'
  | 'max_prompt_tokens'
  | 'max_completion_tokens'
> & { temperature: number | null; top_p: number | null; metadata?: Metadata | null; expires_at?: number | null }

/** Run fields a caller may change: status, timestamps, usage, required_action, last_error, incomplete_details, … */
export type RunPatch = Partial<Omit<Run, 'id' | 'object' | 'created_at' | 'thread_id'>>

/** Guards of RunStore.update(). */
export type RunUpdateOptions = {
  /** Apply the patch only if the run is in one of these statuses; otherwise throw a `conflict` StoreError. */
  ifStatus?: readonly RunStatus[]
}

/** Names a run: the shape of the `{thread_id, run_id}` path params. */
export type RunRef = { thread_id: string; run_id: string }

/** A new run step (the store copies thread, run and assistant ids from the run). */
export type RunStepInit = Pick<RunStep, 'type' | 'step_details'> & Partial<Pick<RunStep, 'status' | 'metadata'>>

/** Run step fields a caller may change. */
export type RunStepPatch = Partial<
  Omit<RunStep, 'id' | 'object' | 'created_at' | 'thread_id' | 'run_id' | 'assistant_id' | 'type'>
>

/** Assistants, with OpenAI's defaults filled on create (metadata {}, temperature 1, top_p 1, response_format 'auto'). */
export interface AssistantStore {
  create(params: AssistantCreateParams): Promise<Assistant>
  get(id: string): Promise<Assistant | null>
  list(query?: ListQuery): Promise<ListPage<Assistant>>
  /** Replaces each given field; throws `not_found`. */
  update(id: string, params: AssistantUpdateParams): Promise<Assistant>
  delete(id: string): Promise<AssistantDeleted>
}

/** Threads; deleting one deletes its messages, runs and steps. */
export interface ThreadStore {
  /** Creates the thread and its initial messages in one transaction. */
  create(params?: ThreadCreateParams): Promise<Thread>
  get(id: string): Promise<Thread | null>
  update(id: string, params: ThreadUpdateParams): Promise<Thread>
  delete(id: string): Promise<ThreadDeleted>
}

/** Messages of a thread, in creation order. */
export interface MessageStore {
  /** Throws `not_found` (kind 'thread') for an unknown thread. */
  create(threadId: string, init: MessageInit): Promise<Message>
  get(threadId: string, id: string): Promise<Message | null>
  list(threadId: string, query?: MessageListParams): Promise<ListPage<Message>>
  update(threadId: string, id: string, patch: MessagePatch): Promise<Message>
  /** Appends to the last content block if it is text, else adds a text block. */
  appendText(threadId: string, id: string, text: string): Promise<Message>
  /** Ends a message: `completed` sets completed_at, `incomplete` sets incomplete_at and its details. */
  setStatus(
    threadId: string,
    id: string,
    status: Exclude<MessageStatus, 'in_progress'>,
    details?: MessageIncompleteDetails,
  ): Promise<Message>
  delete(threadId: string, id: string): Promise<MessageDeleted>
}

/** Runs of a thread. */
export interface RunStore {
  /** Creates a `queued` run; throws `not_found` (thread) or `conflict` when the thread already has an active run. */
  create(threadId: string, init: RunInit): Promise<Run>
  get(threadId: string, id: string): Promise<Run | null>
  list(threadId: string, query?: ListQuery): Promise<ListPage<Run>>
  /** Shallow-merges the patch; throws `not_found`, or `conflict` when `ifStatus` does not hold. */
  update(threadId: string, id: string, patch: RunPatch, options?: RunUpdateOptions): Promise<Run>
  /** Runs in any of these statuses across all threads, oldest first (restart recovery). */
  listByStatus(statuses: readonly RunStatus[]): Promise<Run[]>
  /** How many runs are in each status, across all threads (statuses with none left out). */
  countByStatus(): Promise<Partial<Record<RunStatus, number>>>
  /** The thread's run in an ACTIVE_RUN_STATUSES status, if any. */
  activeRun(threadId: string): Promise<Run | null>
  hasActiveRun(threadId: string): Promise<boolean>
}

/** Steps of a run. */
export interface RunStepStore {
  /** Throws `not_found` (kind 'run') when the run is not on that thread. */
  create(run: RunRef, init: RunStepInit): Promise<RunStep>
  get(run: RunRef, id: string): Promise<RunStep | null>
  list(run: RunRef, query?: ListQuery): Promise<ListPage<RunStep>>
  update(run: RunRef, id: string, patch: RunStepPatch): Promise<RunStep>
}

/** Response fields a caller may change. */
export type ResponsePatch = Partial<Omit<Response, 'id' | 'object' | 'created_at'>>

/** A background response still to run (or running) and the create params it runs with. */
export type ResponseJob = { response: Response; request: ResponseCreateParams }

/** Stored responses (only those created with `store` true) and their input items, in order. */
export interface ResponseStore {
  /**
   * Writes a response and its input items in one transaction: a finished one, or a queued background one with the
   * `request` it runs with.
   */
  create(response: Response, input: ResponseItem[], options?: { request?: ResponseCreateParams }): Promise<void>
  get(id: string): Promise<Response | null>
  /** Shallow-merges the patch; `not_found`, or `conflict` when `ifStatus` is given and does not hold. */
  update(id: string, patch: ResponsePatch, options?: { ifStatus?: readonly ResponseStatus[] }): Promise<Response>
  /** Background responses in any of these statuses with their create params, oldest first (restart recovery). */
  jobs(statuses: readonly ResponseStatus[]): Promise<ResponseJob[]>
  /** Appends numbered stream events (a background response's stream); an event already stored is kept. */
  appendEvents(id: string, events: readonly ResponseStreamEvent[]): Promise<void>
  /** The stored stream events after `after`, in order. */
  events(id: string, after: number): Promise<ResponseStreamEvent[]>
  /** Every input item of the response, oldest first (for chaining). */
  inputItems(id: string): Promise<ResponseItem[]>
  /** One cursor page of input items; throws `not_found` for an unknown response. */
  listInputItems(id: string, query?: InputItemListParams): Promise<ListPage<ResponseItem>>
  delete(id: string): Promise<ResponseDeleted>
}

/** Conversations and their items, in the order they were added. */
export interface ConversationStore {
  /** Creates the conversation with its first items in one transaction. */
  create(metadata: Metadata | null | undefined, items: ResponseItem[]): Promise<Conversation>
  get(id: string): Promise<Conversation | null>
  /** Replaces the metadata; throws `not_found`. */
  update(id: string, metadata: Metadata | null): Promise<Conversation>
  delete(id: string): Promise<ConversationDeleted>
  /** Appends items after the last one (locking the conversation row, so concurrent appends do not interleave). */
  appendItems(id: string, items: ResponseItem[]): Promise<ResponseItem[]>
  /** Every item, oldest first; throws `not_found`. */
  items(id: string): Promise<ResponseItem[]>
  listItems(id: string, query?: ItemListParams): Promise<ListPage<ResponseItem>>
  getItem(id: string, itemId: string): Promise<ResponseItem | null>
  /** Deletes the item; throws `not_found` (conversation or item). */
  deleteItem(id: string, itemId: string): Promise<Conversation>
}

/** File records (the bytes are in FileBlobs, committed before the record is written). */
export interface FileStore {
  /** Records a file whose bytes are already in place; the caller minted its id. */
  create(file: FileObject): Promise<FileObject>
  get(id: string): Promise<FileObject | null>
  list(query?: ListQuery & { purpose?: string | undefined }): Promise<ListPage<FileObject>>
  /** False when there was no such file. */
  delete(id: string): Promise<boolean>
  /** Deletes the records past their `expires_at` and returns their ids (their bytes are the caller's to remove). */
  deleteExpired(now: number): Promise<string[]>
  /** Every recorded file id (startup: bytes without a record are removed). */
  ids(): Promise<Set<string>>
}

/** Uploads and the sizes of their parts (the part bytes are in FileBlobs). */
export interface UploadStore {
  create(upload: Upload): Promise<Upload>
  get(id: string): Promise<Upload | null>
  /** Records a part whose bytes are in place; `not_found`, or `conflict` unless the upload is pending. */
  addPart(part: UploadPart, bytes: number): Promise<void>
  /** The upload's parts: id to size in bytes. */
  parts(uploadId: string): Promise<Map<string, number>>
  /** Moves a pending upload to completed or cancelled (forgetting its parts); `conflict` if not pending. */
  finish(id: string, patch: Pick<Upload, 'status' | 'file'>): Promise<Upload>
  /** Moves every pending upload past its `expires_at` to expired (forgetting its parts) and returns their ids. */
  expire(now: number): Promise<string[]>
}

/** Batch fields a caller may change. */
export type BatchPatch = Partial<Omit<Batch, 'id' | 'object' | 'created_at' | 'endpoint' | 'input_file_id'>>

/** One finished request of a batch: its 1-based input line, whether it succeeded, and its output-file line. */
export type BatchResult = { line: number; ok: boolean; output: string }

/** A finished request as the runner records it: with the tokens it used, added to the batch's `usage`. */
export type BatchResultInit = BatchResult & { usage: BatchUsage | null }

/** Batches and their finished requests (each durable before it is counted). */
export interface BatchStore {
  /** `outputExpiresAfterS`: the batch's `output_expires_after.seconds`, kept beside it (not a Batch field). */
  create(batch: Batch, options?: { outputExpiresAfterS?: number | null }): Promise<Batch>
  /** Seconds after their creation that the batch's output and error files expire; null: the default. */
  outputExpiresAfter(id: string): Promise<number | null>
  get(id: string): Promise<Batch | null>
  list(query?: ListQuery): Promise<ListPage<Batch>>
  /** Shallow-merges the patch; `not_found`, or `conflict` when `ifStatus` is given and does not hold. */
  update(id: string, patch: BatchPatch, options?: { ifStatus?: readonly BatchStatus[] }): Promise<Batch>
  /** Batches in any of these statuses, oldest first (restart recovery). */
  listByStatus(statuses: readonly BatchStatus[]): Promise<Batch[]>
  /**
   * Records a finished request, recounts `request_counts` and adds its usage to `usage`, in one transaction; a line
   * already recorded is kept and not counted again.
   */
  recordResult(id: string, result: BatchResultInit): Promise<Batch>
  /** The input lines already finished. */
  doneLines(id: string): Promise<Set<number>>
  /** Finished requests in line order, `ok` or not, after `afterLine`, at most `limit`. */
  results(id: string, ok: boolean, afterLine: number, limit: number): Promise<BatchResult[]>
}

/** The durable store of Assistants objects; everything goes in and out in its exact wire shape. */
export interface Store {
  readonly assistants: AssistantStore
  readonly threads: ThreadStore
  readonly messages: MessageStore
  readonly runs: RunStore
  readonly steps: RunStepStore
  readonly responses: ResponseStore
  readonly conversations: ConversationStore
  readonly files: FileStore
  readonly uploads: UploadStore
  readonly batches: BatchStore
  /**
   * Runs fn with a store bound to one transaction: all of its changes commit together or not at all.
   * Use only `tx` inside fn (the outer store waits for the transaction to end). Nested calls join it.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>
  /** Closes the database and releases the data directory. */
  close(): Promise<void>
}
