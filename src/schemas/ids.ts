import { Type, type TString } from 'typebox'

/** The object kind, as a 404 names it, of each id prefix the store mints (`src/store/ids.ts`). */
const KINDS = {
  asst: 'assistant',
  thread: 'thread',
  msg: 'message',
  run: 'run',
  step: 'run step',
  resp: 'response',
  conv: 'conversation',
  file: 'file',
  upload: 'upload',
  part: 'upload part',
  batch: 'batch',
} as const

// OpenAI writes file ids with a dash (`file-...`); every other prefix takes `_` (as `src/store/ids.ts` mints them)
const SEPARATOR: Partial<Record<ObjectIdPrefix, string>> = { file: '-' }

/** Prefixes of the ids that name stored objects. */
export type ObjectIdPrefix = keyof typeof KINDS

/** The longest id suffix accepted; the store mints 24 characters, so this leaves room without inviting 5 kB ids. */
export const ID_SUFFIX_MAX_LENGTH = 64

/** What an id schema checks, for the code that phrases its failures: the prefix, how ids start, the object kind. */
export type IdFormat = { prefix: ObjectIdPrefix; start: string; kind: string; pattern: RegExp }

function idStart(prefix: ObjectIdPrefix): string {
  return `${prefix}${SEPARATOR[prefix] ?? '_'}`
}

function idPattern(prefix: ObjectIdPrefix): string {
  return `^${idStart(prefix)}[0-9A-Za-z]{1,${ID_SUFFIX_MAX_LENGTH}}$`
}

const FORMATS = new Map<string, IdFormat>(
  (Object.keys(KINDS) as ObjectIdPrefix[]).map((prefix) => [
    idPattern(prefix),
    { prefix, start: idStart(prefix), kind: KINDS[prefix], pattern: new RegExp(idPattern(prefix)) },
  ]),
)

/**
 * An id of one kind of object: the prefix, `_` (`-` for files), then 1 to 64 ASCII letters and digits. Checked before any store
 * call, so junk (NUL bytes, 5,000-character strings) never reaches the store; a well-formed unknown id is the
 * store's 404 as before.
 */
export function ObjectIdOf(prefix: ObjectIdPrefix, description?: string): TString {
  return Type.String({
    pattern: idPattern(prefix),
    description: description ?? `The id of a ${KINDS[prefix]} ('${idStart(prefix)}...').`,
  })
}

/** The format an id schema checks, or undefined when the schema is not one made by ObjectIdOf(). */
export function idFormatOf(schema: unknown): IdFormat | undefined {
  if (schema === null || typeof schema !== 'object') return undefined
  const pattern = (schema as { pattern?: unknown }).pattern
  return typeof pattern === 'string' ? FORMATS.get(pattern) : undefined
}

/** An assistant id (`asst_...`). */
export const AssistantId = ObjectIdOf('asst')

/** A thread id (`thread_...`). */
export const ThreadId = ObjectIdOf('thread')

/** A message id (`msg_...`). */
export const MessageId = ObjectIdOf('msg')

/** A run id (`run_...`). */
export const RunId = ObjectIdOf('run')

/** A run step id (`step_...`). */
export const StepId = ObjectIdOf('step')

/** A response id (`resp_...`). */
export const ResponseId = ObjectIdOf('resp')

/** A conversation id (`conv_...`). */
export const ConversationId = ObjectIdOf('conv')

/** A file id (`file-...`). */
export const FileId = ObjectIdOf('file')

/** An upload id (`upload_...`). */
export const UploadId = ObjectIdOf('upload')

/** An upload part id (`part_...`). */
export const PartId = ObjectIdOf('part')

/** A batch id (`batch_...`). */
export const BatchId = ObjectIdOf('batch')

/** An item of a response or conversation: a message (`msg_...`), a function call or its output (`fc_...`), or an id a caller gave a replayed item. */
export const ItemId = Type.String({
  pattern: `^[A-Za-z]+_[0-9A-Za-z_-]{1,${ID_SUFFIX_MAX_LENGTH}}$`,
  description: 'The id of an item.',
})
