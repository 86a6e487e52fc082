import { BadRequestError } from '../http/errors.js'
import type { Assistant, AssistantTool } from '../schemas/assistants.js'
import type { MessageCreateParams } from '../schemas/messages.js'
import type { RunCreateParams, ThreadCreateAndRunParams } from '../schemas/runs.js'
import type { RunInit } from '../store/store.js'

/** Refuses tool types this server cannot run yet, naming the type and the parameter. */
export function checkToolTypes(tools: readonly AssistantTool[] | null | undefined, param = 'tools'): void {
  for (const [i, tool] of (tools ?? []).entries()) {
    if (tool.type !== 'function') throw new BadRequestError(`Tool type '${tool.type}' is not supported by this server yet; only 'function' tools are.`, { param: `${param}[${i}].type`, shouldRetry: false })
  }
}

/** Refuses image parts: the served model reads text only. */
export function checkTextContent(messages: readonly MessageCreateParams[] | null | undefined, param: string): void {
  for (const [i, message] of (messages ?? []).entries()) {
    if (typeof message.content === 'string') continue
    for (const [j, part] of message.content.entries()) {
      if (part.type !== 'text') throw new BadRequestError(`This model does not support image input: '${part.type}' parts are not accepted.`, { param: `${param}[${i}].content[${j}]`, code: 'unsupported_content', shouldRetry: false })
    }
  }
}

/** Resolves a run's settings: the request's, else the assistant's, else OpenAI's defaults. */
export function resolveRunSettings(body: RunCreateParams | ThreadCreateAndRunParams, assistant: Assistant, model: string): RunInit {
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
