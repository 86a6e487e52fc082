import t from 'tap'
import { Compile } from 'typebox/compile'
import {
  cancelTarget,
  canTransition,
  isTerminal,
  LIVE_STATUSES,
  recoveryOf,
  RunStateError,
  sourcesOf,
  TERMINAL_STATUSES,
  transition,
} from '../../../src/runs/machine.js'
import type { Message } from '../../../src/schemas/messages.js'
import type { RunStep } from '../../../src/schemas/run-steps.js'
import { Run, type RunStatus } from '../../../src/schemas/runs.js'
import type { AssistantStreamEvent } from '../../../src/schemas/stream-events.js'
import { StoreError } from '../../../src/store/errors.js'
import {
  ACTIVE_RUN_STATUSES,
  type RunPatch,
  type RunStepPatch,
  type RunUpdateOptions,
  type Store,
} from '../../../src/store/store.js'

// The Assistants run lifecycle as OpenAI documents it: the table the machine must implement
const ALLOWED: Record<RunStatus, RunStatus[]> = {
  queued: ['in_progress', 'cancelled', 'failed', 'expired'],
  in_progress: ['requires_action', 'cancelling', 'completed', 'incomplete', 'failed', 'expired'],
  requires_action: ['queued', 'cancelling', 'cancelled', 'expired', 'failed'],
  cancelling: ['cancelled', 'failed'],
  cancelled: [],
  failed: [],
  completed: [],
  incomplete: [],
  expired: [],
}
const STATUSES = Object.keys(ALLOWED) as RunStatus[]
const checkRun = Compile(Run)

function run(status: RunStatus, extra: Partial<Run> = {}): Run {
  return {
    id: 'run_1',
    object: 'thread.run',
    created_at: 1_700_000_000,
    thread_id: 'thread_1',
    assistant_id: 'asst_1',
    status,
    required_action: null,
    last_error: null,
    expires_at: null,
    started_at: null,
    cancelled_at: null,
    failed_at: null,
    completed_at: null,
    incomplete_details: null,
    model: 'stories',
    instructions: '',
    tools: [],
    metadata: {},
    usage: null,
    temperature: 1,
    top_p: 1,
    max_prompt_tokens: null,
    max_completion_tokens: null,
    truncation_strategy: { type: 'auto', last_messages: null },
    response_format: 'auto',
    tool_choice: 'auto',
    parallel_tool_calls: true,
    ...extra,
  }
}

function step(id: string, type: RunStep['type'], status: RunStep['status']): RunStep {
  return {
    id,
    object: 'thread.run.step',
    created_at: 1_700_000_000,
    run_id: 'run_1',
    thread_id: 'thread_1',
    assistant_id: 'asst_1',
    type,
    status,
    step_details:
      type === 'tool_calls'
        ? { type: 'tool_calls', tool_calls: [] }
        : { type: 'message_creation', message_creation: { message_id: 'msg_1' } },
    last_error: null,
    usage: null,
    cancelled_at: null,
    completed_at: null,
    expired_at: null,
    failed_at: null,
    metadata: null,
  }
}

function message(id: string, status: Message['status']): Message {
  return {
    id,
    object: 'thread.message',
    created_at: 1_700_000_000,
    thread_id: 'thread_1',
    status,
    incomplete_details: null,
    completed_at: null,
    incomplete_at: null,
    role: 'assistant',
    content: [],
    assistant_id: 'asst_1',
    run_id: 'run_1',
    attachments: [],
    metadata: {},
  }
}

/** A store of one run, its steps and messages, with the guarded update of the real one; writes note whether a transaction was open. */
function fakeStore(stored: Run, steps: RunStep[] = [], messages: Message[] = []) {
  const state = { run: stored, steps, messages, inTransaction: false, writesOutside: 0 }
  const wrote = () => {
    if (!state.inTransaction) state.writesOutside++
  }
  const store = {
    runs: {
      get: async () => state.run,
      update: async (_thread: string, _id: string, patch: RunPatch, options: RunUpdateOptions = {}) => {
        if (options.ifStatus && !options.ifStatus.includes(state.run.status))
          throw new StoreError('conflict', `Run is ${state.run.status}`)
        wrote()
        state.run = { ...state.run, ...patch }
        return state.run
      },
    },
    steps: {
      list: async () => ({ data: state.steps, has_more: false }),
      update: async (_ref: unknown, id: string, patch: RunStepPatch) => {
        wrote()
        state.steps = state.steps.map((s) => (s.id === id ? { ...s, ...patch } : s))
        return state.steps.find((s) => s.id === id) as RunStep
      },
    },
    messages: {
      list: async () => ({ data: state.messages, has_more: false }),
      setStatus: async (_thread: string, id: string, status: Message['status'], details?: object) => {
        wrote()
        state.messages = state.messages.map((m) =>
          m.id === id ? { ...m, status, incomplete_details: (details ?? null) as Message['incomplete_details'] } : m,
        )
        return state.messages.find((m) => m.id === id) as Message
      },
    },
    transaction: async <T>(fn: (tx: Store) => Promise<T>): Promise<T> => {
      state.inTransaction = true
      try {
        return await fn(store as unknown as Store)
      } finally {
        state.inTransaction = false
      }
    },
  }
  const published: AssistantStreamEvent['event'][] = []
  const ended: string[] = []
  const events = {
    publish: (_runId: string, event: AssistantStreamEvent) => void published.push(event.event),
    end: (runId: string) => void ended.push(runId),
  }
  return { ctx: { store: store as unknown as Store, events }, state, published, ended }
}

t.test('the table: canTransition and sourcesOf agree with the documented lifecycle', async (t) => {
  for (const from of STATUSES)
    for (const to of STATUSES) t.equal(canTransition(from, to), ALLOWED[from].includes(to), `${from} -> ${to}`)
  for (const to of STATUSES)
    t.same(sourcesOf(to).sort(), STATUSES.filter((from) => ALLOWED[from].includes(to)).sort(), `sources of ${to}`)
  t.same([...TERMINAL_STATUSES].sort(), ['cancelled', 'completed', 'expired', 'failed', 'incomplete'])
  t.same([...LIVE_STATUSES].sort(), ['cancelling', 'in_progress', 'queued', 'requires_action'])
  t.ok(TERMINAL_STATUSES.every(isTerminal) && !LIVE_STATUSES.some(isTerminal))
  // the store keeps its own copy for the one-active-run-per-thread index (it may not import runs/): they must agree
  t.same([...ACTIVE_RUN_STATUSES].sort(), [...LIVE_STATUSES].sort(), "the store's active statuses are the live ones")
})

t.test('cancel targets and recovery are moves the table allows', async (t) => {
  t.same(
    STATUSES.map((s) => [s, cancelTarget(s)]),
    [
      ['queued', 'cancelled'],
      ['in_progress', 'cancelling'],
      ['requires_action', 'cancelled'],
      ['cancelling', null],
      ['cancelled', null],
      ['failed', null],
      ['completed', null],
      ['incomplete', null],
      ['expired', null],
    ],
  )
  for (const s of STATUSES) {
    const target = cancelTarget(s)
    if (target) t.ok(canTransition(s, target), `cancel from ${s} is allowed`)
  }
  t.same(
    LIVE_STATUSES.map((s) => [s, recoveryOf(s)]),
    [
      ['queued', 'run'],
      ['in_progress', 'fail'],
      ['requires_action', 'wait'],
      ['cancelling', 'cancel'],
    ],
  )
  t.ok(TERMINAL_STATUSES.every((s) => recoveryOf(s) === null))
  t.ok(canTransition('in_progress', 'failed') && canTransition('cancelling', 'cancelled'), 'recovery moves exist')
})

t.test(
  'every allowed move is written, published as thread.run.<status>, and ends streams where it should',
  async (t) => {
    for (const from of STATUSES) {
      for (const to of ALLOWED[from]) {
        const { ctx, state, published, ended } = fakeStore(run(from))
        const saved = await transition(ctx, run(from), to)
        t.equal(saved.status, to, `${from} -> ${to} returns the saved run`)
        t.equal(state.run.status, to, `${from} -> ${to} is stored`)
        t.ok(checkRun.Check(saved), `${from} -> ${to} keeps the wire shape`)
        t.equal(published.at(-1), `thread.run.${to}`)
        const endsStream = isTerminal(to) || to === 'requires_action'
        t.same(ended, endsStream ? ['run_1'] : [], `${from} -> ${to} ${endsStream ? 'ends' : 'keeps'} streams`)
        t.equal(state.writesOutside, 0, 'every write inside one transaction')
      }
    }
  },
)

t.test('every refused move throws RunStateError and writes and publishes nothing', async (t) => {
  for (const from of STATUSES) {
    for (const to of STATUSES.filter((s) => !ALLOWED[from].includes(s))) {
      const { ctx, state, published, ended } = fakeStore(run(from))
      await t.rejects(transition(ctx, run(from), to), RunStateError, `${from} -> ${to}`)
      t.equal(state.run.status, from)
      t.same([published, ended], [[], []])
    }
  }
})

t.test('a stale copy loses to the store: the guarded write throws conflict and nothing is published', async (t) => {
  // the caller saw queued, but a cancel already wrote cancelled
  const { ctx, state, published } = fakeStore(run('cancelled'))
  await t.rejects(transition(ctx, run('queued'), 'in_progress'), { name: 'StoreError', code: 'conflict' })
  t.equal(state.run.status, 'cancelled')
  t.same(published, [])
  // a stale copy whose move is still valid from the stored status goes through (guard: sourcesOf(to))
  const other = fakeStore(run('cancelling'))
  const saved = await transition(other.ctx, run('in_progress'), 'failed')
  t.equal(saved.status, 'failed')
})

t.test('each status sets its timestamp; started_at is kept when a run starts again', async (t) => {
  const started = await transition(fakeStore(run('queued')).ctx, run('queued'), 'in_progress')
  t.type(started.started_at, 'number')
  const again = run('queued', { started_at: 123 })
  t.equal((await transition(fakeStore(again).ctx, again, 'in_progress')).started_at, 123)
  for (const [from, to, field] of [
    ['queued', 'cancelled', 'cancelled_at'],
    ['in_progress', 'failed', 'failed_at'],
    ['in_progress', 'completed', 'completed_at'],
  ] as const) {
    const saved = await transition(fakeStore(run(from)).ctx, run(from), to)
    t.type(saved[field], 'number', `${to} sets ${field}`)
  }
  const patched = await transition(fakeStore(run('in_progress')).ctx, run('in_progress'), 'incomplete', {
    incomplete_details: { reason: 'max_completion_tokens' },
  })
  t.same(patched.incomplete_details, { reason: 'max_completion_tokens' }, 'the patch is written with the status')
})

t.test('leaving requires_action drops the pending action; expiring keeps its deadline', async (t) => {
  const waiting = run('requires_action', {
    expires_at: 1_700_000_600,
    required_action: { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: [] } },
  })
  const queued = await transition(fakeStore(waiting).ctx, waiting, 'queued')
  t.same([queued.required_action, queued.expires_at], [null, null])
  const expired = await transition(fakeStore(waiting).ctx, waiting, 'expired')
  t.same([expired.required_action, expired.expires_at], [null, 1_700_000_600])
})

t.test('a terminal move ends the open steps and messages, events before the run event', async (t) => {
  const cases: [RunStatus, RunStatus, RunStep['status'], Message['status'], string | null][] = [
    ['in_progress', 'failed', 'failed', 'incomplete', 'run_failed'],
    ['cancelling', 'cancelled', 'cancelled', 'incomplete', 'run_cancelled'],
    ['requires_action', 'expired', 'expired', 'incomplete', 'run_expired'],
    ['in_progress', 'completed', 'completed', 'in_progress', null],
  ]
  for (const [from, to, stepStatus, messageStatus, reason] of cases) {
    const { ctx, state, published } = fakeStore(
      run(from),
      [step('step_done', 'message_creation', 'completed'), step('step_open', 'tool_calls', 'in_progress')],
      [message('msg_done', 'completed'), message('msg_open', 'in_progress')],
    )
    await transition(ctx, run(from), to)
    t.same(
      state.steps.map((s) => s.status),
      ['completed', stepStatus],
      `${from} -> ${to}: the open step ends ${stepStatus}`,
    )
    t.type(state.steps[1]?.[`${stepStatus}_at` as 'completed_at'], 'number', 'with its timestamp')
    t.same(
      state.messages.map((m) => m.status),
      ['completed', messageStatus],
      `${from} -> ${to}: the open message is ${messageStatus}`,
    )
    if (reason) t.same(state.messages[1]?.incomplete_details, { reason })
    t.same(
      published,
      [...(reason ? ['thread.message.incomplete'] : []), `thread.run.step.${stepStatus}`, `thread.run.${to}`],
      `${from} -> ${to}: events`,
    )
    t.equal(state.writesOutside, 0, 'the run and its parts change in one transaction')
  }
})

t.test('a move to a live status leaves steps and messages alone', async (t) => {
  const { ctx, state, published } = fakeStore(
    run('in_progress'),
    [step('step_open', 'tool_calls', 'in_progress')],
    [message('msg_open', 'in_progress')],
  )
  await transition(ctx, run('in_progress'), 'requires_action')
  t.equal(state.steps[0]?.status, 'in_progress', 'the tool_calls step waits with the run')
  t.equal(state.messages[0]?.status, 'in_progress')
  t.same(published, ['thread.run.requires_action'])
})
