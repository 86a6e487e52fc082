import t from 'tap'
import { Compile } from 'typebox/compile'
import {
  AssistantId,
  BatchId,
  ConversationId,
  FileId,
  ID_SUFFIX_MAX_LENGTH,
  idFormatOf,
  MessageId,
  PartId,
  ResponseId,
  ObjectIdOf,
  RunId,
  StepId,
  ThreadId,
  UploadId,
  type ObjectIdPrefix,
} from '../../../src/schemas/ids.js'
import { Metadata } from '../../../src/schemas/shared.js'
import { newId } from '../../../src/store/ids.js'

const SCHEMAS = {
  asst: AssistantId,
  thread: ThreadId,
  msg: MessageId,
  run: RunId,
  step: StepId,
  resp: ResponseId,
  conv: ConversationId,
  file: FileId,
  upload: UploadId,
  part: PartId,
  batch: BatchId,
} as const
const PREFIXES = Object.keys(SCHEMAS) as ObjectIdPrefix[]

t.test('every id the store mints passes its id schema', async (t) => {
  for (const prefix of PREFIXES) {
    const check = Compile(SCHEMAS[prefix])
    for (let i = 0; i < 200; i++) {
      const id = newId(prefix)
      if (!check.Check(id)) t.fail(`${id} fails ${prefix}`)
    }
    t.pass(`${prefix}: 200 minted ids pass`)
  }
})

t.test('an id schema refuses other prefixes, other characters and overlong ids', async (t) => {
  const check = Compile(ThreadId)
  t.ok(check.Check('thread_nope'), 'a short hand-made id is well-formed (the store says 404)')
  t.ok(check.Check(`thread_${'a'.repeat(ID_SUFFIX_MAX_LENGTH)}`), `${ID_SUFFIX_MAX_LENGTH} characters after the prefix`)
  const bad = [
    '',
    'thread',
    'thread_',
    'asst_abc',
    'Thread_abc',
    'thread_a\u0000',
    '\u0000thread_a',
    'thread_\ud800',
    'thread_a-b',
    'thread_a b',
    'thread_a/b',
    'thread_é',
    `thread_${'a'.repeat(ID_SUFFIX_MAX_LENGTH + 1)}`,
    `thread_${'a'.repeat(5000)}`,
    'thread_abc\n',
  ]
  for (const id of bad) t.notOk(check.Check(id), JSON.stringify(id).slice(0, 40))
  t.notOk(check.Check(42), 'a number')
  const file = Compile(FileId)
  t.ok(file.Check('file-abc'), 'file ids take a dash, as OpenAI writes them')
  t.notOk(file.Check('file_abc'))
})

t.test('idFormatOf() names the prefix and object kind of id schemas only', async (t) => {
  t.match(idFormatOf(AssistantId), { prefix: 'asst', kind: 'assistant' })
  t.match(idFormatOf(ThreadId), { prefix: 'thread', kind: 'thread' })
  t.match(idFormatOf(MessageId), { prefix: 'msg', kind: 'message' })
  t.match(idFormatOf(RunId), { prefix: 'run', kind: 'run' })
  t.match(idFormatOf(StepId), { prefix: 'step', kind: 'run step' })
  t.match(idFormatOf(FileId), { prefix: 'file', start: 'file-', kind: 'file' })
  t.match(idFormatOf(BatchId), { prefix: 'batch', start: 'batch_', kind: 'batch' })
  t.match(idFormatOf(ObjectIdOf('run', 'Only messages of this run.')), { prefix: 'run' }, 'with its own description')
  t.equal(idFormatOf(Metadata), undefined)
  t.equal(idFormatOf({ type: 'string', pattern: '^x$' }), undefined)
  t.equal(idFormatOf(null), undefined)
})
