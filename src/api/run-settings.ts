import type { Assistant } from '../schemas/assistants.js'
import type { RunCreateParams, ThreadCreateAndRunParams } from '../schemas/runs.js'
import type { RunInit } from '../store/store.js'

/** Resolves a run's settings: the request's, else the assistant's, else OpenAI's defaults. */
export function resolveRunSettings(
  body: RunCreateParams | ThreadCreateAndRunParams,
  assistant: Assistant,
  model: string,
): RunInit {
  const additional = 'additional_instructions' in body ? body.additional_instructions : null
  const base = body.instructions ?? assistant.instructions ?? ''
  return {
    assistant_id: assistant.id,
    model,
    instructions: additional ? (base ? `${base}\n\n${additional}` : additional) : base,
    tools: body.tools ?? assistant.tools,
    tool_choice: body.tool_choice ?? 'auto',
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    response_format: body.response_format ?? assistant.response_format ?? 'auto',
    truncation_strategy: body.truncation_strategy ?? { type: 'auto', last_messages: null },
    max_prompt_tokens: body.max_prompt_tokens ?? null,
    max_completion_tokens: body.max_completion_tokens ?? null,
    temperature: body.temperature ?? assistant.temperature ?? null,
    top_p: body.top_p ?? assistant.top_p ?? null,
    metadata: body.metadata ?? {},
  }
}
