import { randomBytes } from 'node:crypto'
import type { ChatMessage, ToolCall, ToolDefinition } from '../types.js'

/** A new tool call id, shaped like OpenAI's. */
export function toolCallId(): string {
  return `call_${randomBytes(12).toString('base64url')}`
}

/** The system text that tells the model which tools exist and how to call them. */
export function toolsPrompt(tools: ToolDefinition[], forced: string | null): string {
  const list = tools.map((t) =>
    JSON.stringify({
      name: t.function.name,
      description: t.function.description ?? '',
      parameters: t.function.parameters ?? {},
    }),
  )
  const how = forced
    ? `Call the function "${forced}" now.`
    : 'To call a function, answer with only a JSON object {"name": <function name>, "arguments": <arguments object>}; otherwise answer normally.'
  return `You can call these functions:\n${list.join('\n')}\n${how}`
}

/** Rewrites tool turns for templates without tool syntax: calls become JSON text, results become user turns. */
export function flattenToolTurns(messages: ChatMessage[]): ChatMessage[] {
  return messages.map((m) => {
    if (m.role === 'assistant' && m.tool_calls?.length) {
      const calls = m.tool_calls.map((c) => ({ name: c.function.name, arguments: safeJson(c.function.arguments) }))
      const text = JSON.stringify(calls.length === 1 ? calls[0] : calls)
      return { role: 'assistant', content: m.content ? `${m.content}\n${text}` : text }
    }
    if (m.role === 'tool')
      return { role: 'user', content: `Result of function call ${m.tool_call_id ?? ''}:\n${m.content ?? ''}` }
    return m
  })
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Parses a whole answer as tool calls (tool_choice auto); null when it is not a call of a known tool. */
export function parseToolCalls(text: string, tools: ToolDefinition[]): ToolCall[] | null {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return null
  const value = safeJson(trimmed)
  const items = Array.isArray(value) ? value : [value]
  const names = new Set(tools.map((t) => t.function.name))
  const calls: ToolCall[] = []
  for (const item of items) {
    const call = item as { name?: unknown; arguments?: unknown }
    if (!call || typeof call !== 'object' || typeof call.name !== 'string' || !names.has(call.name)) return null
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {})
    calls.push({ id: toolCallId(), type: 'function', function: { name: call.name, arguments: args } })
  }
  return calls.length > 0 ? calls : null
}
