import type { Engine } from '../engine/engine.js'
import type { ChatMessage, ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../engine/types.js'
import type { Message } from '../schemas/messages.js'
import type { FunctionToolCall, RunStep } from '../schemas/run-steps.js'
import type { Run } from '../schemas/runs.js'
import type { Store } from '../store/store.js'

// Tokens a chat template adds around each message; the prompt budget is an estimate, the engine reports the truth
const PER_MESSAGE_OVERHEAD = 8

/** The engine request for a run's next model call, or why the run cannot make one. */
export type RunPrompt =
  | { kind: 'ready'; request: ChatRequest; estimatedTokens: number }
  | { kind: 'incomplete'; reason: 'max_prompt_tokens' | 'max_completion_tokens' }

/**
 * Builds the chat request for a run: its instructions (additional_instructions already appended at creation), the
 * thread's messages after truncation, this run's tool calls and their outputs, and the run's settings.
 */
export async function buildRunPrompt(store: Store, engine: Engine, run: Run): Promise<RunPrompt> {
  const used = run.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
  const maxTokens = run.max_completion_tokens === null ? null : run.max_completion_tokens - used.completion_tokens
  if (maxTokens !== null && maxTokens <= 0) return { kind: 'incomplete', reason: 'max_completion_tokens' }
  const history = (await allMessages(store, run.thread_id)).filter(
    (m) => !(m.run_id === run.id && m.role === 'assistant' && m.status === 'in_progress'),
  )
  const toolTurns = toolMessages(await runSteps(store, run))
  const system: ChatMessage[] = run.instructions ? [{ role: 'system', content: run.instructions }] : []
  let turns = history.map(toChatMessage)
  if (run.truncation_strategy?.type === 'last_messages' && run.truncation_strategy.last_messages != null) {
    turns = turns.slice(-Math.max(1, run.truncation_strategy.last_messages))
  }
  const count = (messages: ChatMessage[]) =>
    messages.reduce(
      (n, m) =>
        n +
        PER_MESSAGE_OVERHEAD +
        engine.tokenizer.tokenize(m.content ?? '', { addSpecial: false }).length +
        (m.tool_calls ? engine.tokenizer.tokenize(JSON.stringify(m.tool_calls)).length : 0),
      0,
    )
  const fixed = count([...system, ...toolTurns])
  const promptBudget = run.max_prompt_tokens === null ? Infinity : run.max_prompt_tokens - used.prompt_tokens
  const reserve = Math.min(maxTokens ?? 256, Math.floor(engine.model.nCtx / 4))
  const budget = Math.min(promptBudget, engine.model.nCtx - reserve)
  let estimated = fixed + count(turns)
  // auto truncation drops the oldest messages first and always keeps the newest
  while (estimated > budget && turns.length > 1) {
    turns = turns.slice(1)
    estimated = fixed + count(turns)
  }
  if (estimated > promptBudget) return { kind: 'incomplete', reason: 'max_prompt_tokens' }
  const request: ChatRequest = {
    messages: [...system, ...turns, ...toolTurns],
    max_tokens: maxTokens,
    temperature: run.temperature ?? null,
    top_p: run.top_p ?? null,
    ...toolSettings(run, toolTurns.length > 0),
    ...formatSettings(run),
  }
  return { kind: 'ready', request, estimatedTokens: estimated }
}

async function allMessages(store: Store, threadId: string): Promise<Message[]> {
  const out: Message[] = []
  let after: string | undefined
  for (;;) {
    const page = await store.messages.list(threadId, { order: 'asc', limit: 100, ...(after ? { after } : {}) })
    out.push(...page.data)
    if (!page.has_more || !page.last_id) return out
    after = page.last_id
  }
}

async function runSteps(store: Store, run: Run): Promise<RunStep[]> {
  const page = await store.steps.list({ thread_id: run.thread_id, run_id: run.id }, { order: 'asc', limit: 100 })
  return page.data
}

function toChatMessage(message: Message): ChatMessage {
  const text = message.content
    .map((c) => (c.type === 'text' ? c.text.value : c.type === 'refusal' ? c.refusal : ''))
    .join('\n')
  return { role: message.role, content: text }
}

// The run's own tool calls and their outputs, so the model sees what it asked for and what came back
function toolMessages(steps: RunStep[]): ChatMessage[] {
  const out: ChatMessage[] = []
  for (const step of steps) {
    if (step.step_details.type !== 'tool_calls') continue
    const calls = step.step_details.tool_calls.filter((c): c is FunctionToolCall => c.type === 'function')
    if (calls.length === 0 || calls.some((c) => c.function.output === null)) continue
    out.push({
      role: 'assistant',
      content: null,
      tool_calls: calls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.function.name, arguments: c.function.arguments },
      })),
    })
    for (const c of calls) out.push({ role: 'tool', content: c.function.output ?? '', tool_call_id: c.id })
  }
  return out
}

// A forced tool_choice applies to the run's first model call; once outputs came back the model answers freely,
// else a forced run would call the tool forever
function toolSettings(
  run: Run,
  afterToolOutputs: boolean,
): Pick<ChatRequest, 'tools' | 'tool_choice' | 'parallel_tool_calls'> {
  const tools: ToolDefinition[] = run.tools.flatMap((t) =>
    t.type === 'function'
      ? [
          {
            type: 'function' as const,
            function: {
              name: t.function.name,
              description: t.function.description,
              parameters: t.function.parameters as Record<string, unknown> | undefined,
            },
          },
        ]
      : [],
  )
  if (tools.length === 0) return {}
  const choice = run.tool_choice
  const toolChoice: ToolChoice =
    choice === null || choice === 'auto' || (afterToolOutputs && choice !== 'none')
      ? 'auto'
      : choice === 'none' || choice === 'required'
        ? choice
        : { type: 'function', function: { name: choice.function?.name ?? '' } }
  return { tools, tool_choice: toolChoice, parallel_tool_calls: run.parallel_tool_calls }
}

function formatSettings(run: Run): Pick<ChatRequest, 'response_format'> {
  const format = run.response_format
  if (format === null || format === 'auto' || format.type === 'text') return {}
  return { response_format: format as ResponseFormat }
}
