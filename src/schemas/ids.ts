import { Type, type TString } from 'typebox'

/** The object kind, as a 404 names it, of each id prefix the store mints (`src/store/ids.ts`). */
const KINDS = { asst: 'assistant', thread: 'thread', msg: 'message', run: 'run', step: 'run step' } as const

/** Prefixes of the ids that name stored objects. */
export type ObjectIdPrefix = keyof typeof KINDS

/** The longest id suffix accepted; the store mints 24 characters, so this leaves room without inviting 5 kB ids. */
export const ID_SUFFIX_MAX_LENGTH = 64

/** What an id schema checks, for the code that phrases its failures: the prefix and the object kind. */
export type IdFormat = { prefix: ObjectIdPrefix; kind: string; pattern: RegExp }

function idPattern(prefix: ObjectIdPrefix): string {
  return `^${prefix}_[0-9A-Za-z]{1,${ID_SUFFIX_MAX_LENGTH}}$`
}

const FORMATS = new Map<string, IdFormat>(
  (Object.keys(KINDS) as ObjectIdPrefix[]).map((prefix) => [
    idPattern(prefix),
    { prefix, kind: KINDS[prefix], pattern: new RegExp(idPattern(prefix)) },
  ]),
)

/**
 * An id of one kind of object: the prefix, `_`, then 1 to 64 ASCII letters and digits. Checked before any store
 * call, so junk (NUL bytes, 5,000-character strings) never reaches the store; a well-formed unknown id is the
 * store's 404 as before.
 */
export function ObjectIdOf(prefix: ObjectIdPrefix, description?: string): TString {
  return Type.String({
    pattern: idPattern(prefix),
    description: description ?? `The id of a ${KINDS[prefix]} ('${prefix}_...').`,
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
