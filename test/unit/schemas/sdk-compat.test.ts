import t from 'tap'
import { Compile } from 'typebox/compile'
import type * as SdkAssistants from 'openai/resources/beta/assistants'
import type * as SdkThreads from 'openai/resources/beta/threads/threads'
import type * as SdkMessages from 'openai/resources/beta/threads/messages'
import type * as SdkRuns from 'openai/resources/beta/threads/runs/runs'
import type * as SdkSteps from 'openai/resources/beta/threads/runs/steps'
import * as A from '../../../src/schemas/assistants.js'
import * as M from '../../../src/schemas/messages.js'
import * as R from '../../../src/schemas/runs.js'
import * as S from '../../../src/schemas/run-steps.js'
import * as E from '../../../src/schemas/stream-events.js'
import * as T from '../../../src/schemas/threads.js'
import { Metadata } from '../../../src/schemas/shared.js'

// Compile-time half: what we send must type as the SDK's object, what the SDK sends must type as our params.
type Extends<A, B> = [A] extends [B] ? true : false
function same<X extends true>(_: X): void {}
same<Extends<A.Assistant, SdkAssistants.Assistant>>(true)
same<Extends<A.AssistantDeleted, SdkAssistants.AssistantDeleted>>(true)
same<Extends<SdkAssistants.AssistantCreateParams, A.AssistantCreateParams>>(true)
same<Extends<SdkAssistants.AssistantUpdateParams, A.AssistantUpdateParams>>(true)
same<Extends<T.Thread, SdkThreads.Thread>>(true)
same<Extends<SdkThreads.ThreadCreateParams, T.ThreadCreateParams>>(true)
same<Extends<SdkThreads.ThreadUpdateParams, T.ThreadUpdateParams>>(true)
same<Extends<SdkThreads.ThreadCreateAndRunParams, R.ThreadCreateAndRunParams>>(true)
same<Extends<M.Message, SdkMessages.Message>>(true)
same<Extends<M.MessageDeltaEvent, SdkMessages.MessageDeltaEvent>>(true)
same<Extends<SdkMessages.MessageCreateParams, M.MessageCreateParams>>(true)
same<Extends<Omit<SdkMessages.MessageUpdateParams, 'thread_id'>, M.MessageUpdateParams>>(true)
same<Extends<R.Run, SdkRuns.Run>>(true)
same<Extends<R.RunStatus, SdkRuns.RunStatus>>(true)
same<Extends<SdkRuns.RunStatus, R.RunStatus>>(true)
same<Extends<Omit<SdkRuns.RunCreateParamsNonStreaming, 'include'>, R.RunCreateParams>>(true)
same<Extends<Omit<SdkRuns.RunCreateParamsStreaming, 'include'>, R.RunCreateParamsStreaming>>(true)
same<Extends<Omit<SdkRuns.RunSubmitToolOutputsParamsNonStreaming, 'thread_id'>, R.RunSubmitToolOutputsParams>>(true)
same<Extends<S.RunStep, SdkSteps.RunStep>>(true)
same<Extends<S.RunStepDeltaEvent, SdkSteps.RunStepDeltaEvent>>(true)
same<Extends<E.AssistantStreamEvent, SdkAssistants.AssistantStreamEvent>>(true)
same<Extends<SdkAssistants.AssistantStreamEvent['event'], E.AssistantStreamEventName>>(true)

const NOW = 1_700_000_000

t.test('Metadata rejects a 17th key, a 65-character key and a 513-character value', async (t) => {
  const check = Compile(Metadata)
  t.ok(check.Check({ a: 'b' }))
  t.notOk(check.Check(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))))
  t.notOk(check.Check({ ['k'.repeat(65)]: 'v' }))
  t.notOk(check.Check({ k: 'v'.repeat(513) }))
  t.notOk(check.Check({ k: 1 }))
})

t.test('FunctionTool names must match ^[a-zA-Z0-9_-]{1,64}$', async (t) => {
  const check = Compile(A.AssistantTool)
  t.ok(check.Check({ type: 'function', function: { name: 'get_weather-2', parameters: { type: 'object' } } }))
  t.notOk(check.Check({ type: 'function', function: { name: 'get weather' } }))
  t.notOk(check.Check({ type: 'function', function: { name: 'x'.repeat(65) } }))
  t.ok(check.Check({ type: 'code_interpreter' }), 'code_interpreter parses, so the API can refuse it by name')
  t.ok(check.Check({ type: 'file_search', file_search: { max_num_results: 5 } }))
  t.notOk(check.Check({ type: 'web_search' }))
})

t.test('AssistantResponseFormatOption accepts the four SDK forms only', async (t) => {
  const check = Compile(A.AssistantResponseFormatOption)
  t.ok(check.Check('auto'))
  t.ok(check.Check({ type: 'text' }))
  t.ok(check.Check({ type: 'json_object' }))
  t.ok(check.Check({ type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } }))
  t.notOk(check.Check('text'))
  t.notOk(check.Check({ type: 'json_schema', json_schema: { name: 'bad name' } }))
})

t.test('RunCreateParams: stream picks the variant, limits are at least 256, unknown keys are refused', async (t) => {
  const check = Compile(R.RunCreateParams)
  t.ok(check.Check({ assistant_id: 'asst_1' }))
  t.ok(check.Check({ assistant_id: 'asst_1', stream: true, max_prompt_tokens: 256, max_completion_tokens: null }))
  t.ok(check.Check({ assistant_id: 'asst_1', stream: false, additional_messages: [{ role: 'user', content: 'hi' }] }))
  t.notOk(check.Check({ assistant_id: 'asst_1', max_prompt_tokens: 255 }))
  t.notOk(check.Check({ assistant_id: 'asst_1', temperature: 2.5 }))
  t.notOk(check.Check({ assistant_id: 'asst_1', stream: 'yes' }))
  t.notOk(check.Check({ assistant_id: 'asst_1', file_ids: [] }))
  t.notOk(check.Check({ model: 'm' }))
})

t.test('MessageCreateParams takes a string or parts of text, image_file and image_url', async (t) => {
  const check = Compile(M.MessageCreateParams)
  t.ok(check.Check({ role: 'user', content: 'hello' }))
  t.ok(
    check.Check({
      role: 'assistant',
      content: [
        { type: 'text', text: 'a' },
        { type: 'image_file', image_file: { file_id: 'f' } },
        { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
      ],
    }),
  )
  t.notOk(check.Check({ role: 'system', content: 'x' }))
  t.notOk(check.Check({ role: 'user', content: [] }))
  t.notOk(check.Check({ role: 'user', content: [{ type: 'text', text: { value: 'a', annotations: [] } }] }))
})

t.test('Run accepts a full run and rejects a status outside the nine', async (t) => {
  const check = Compile(R.Run)
  const run: R.Run = {
    id: 'run_1',
    object: 'thread.run',
    created_at: NOW,
    thread_id: 'thread_1',
    assistant_id: 'asst_1',
    status: 'requires_action',
    required_action: {
      type: 'submit_tool_outputs',
      submit_tool_outputs: {
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
    },
    last_error: null,
    expires_at: NOW + 600,
    started_at: NOW,
    cancelled_at: null,
    failed_at: null,
    completed_at: null,
    incomplete_details: null,
    model: 'm',
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
  }
  t.ok(check.Check(run))
  t.notOk(check.Check({ ...run, status: 'running' }))
  const { usage: _, ...missingKey } = run
  t.notOk(check.Check(missingKey), 'a nullable key must be present')
})

t.test('AssistantStreamEvent checks data against the event name', async (t) => {
  const check = Compile(E.AssistantStreamEvent)
  const delta = {
    id: 'msg_1',
    object: 'thread.message.delta',
    delta: { content: [{ index: 0, type: 'text', text: { value: 'Hi' } }] },
  }
  t.ok(check.Check({ event: 'thread.message.delta', data: delta }))
  t.notOk(check.Check({ event: 'thread.run.completed', data: delta }))
  t.ok(check.Check({ event: 'error', data: { code: null, message: 'boom', param: null, type: 'server_error' } }))
  const stepDelta = {
    id: 'step_1',
    object: 'thread.run.step.delta',
    delta: {
      step_details: {
        type: 'tool_calls',
        tool_calls: [{ index: 0, type: 'function', function: { arguments: '{"a"' } }],
      },
    },
  }
  t.ok(check.Check({ event: 'thread.run.step.delta', data: stepDelta }))
  t.notOk(
    check.Check({
      event: 'thread.run.step.delta',
      data: { ...stepDelta, delta: { ...stepDelta.delta, id: 'step_1' } },
    }),
    'a step delta must not carry id',
  )
})
