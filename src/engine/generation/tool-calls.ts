import { randomBytes } from 'node:crypto'
import type { ChatMessage, ToolCall, ToolCallDelta, ToolChoice, ToolDefinition } from '../types.js'

// llama.cpp's server core cannot force a tool call unless the chat template has tool syntax, and rejects
// tool_choice objects. So a forced call is generated under a grammar built from the tools' JSON schemas and turned
// into tool_calls here, which works with any template.

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

/** The JSON schema a forced call must satisfy: one call, or an array of calls when parallel calls are asked for. */
export function toolCallSchema(
  tools: ToolDefinition[],
  choice: ToolChoice,
  parallel: boolean,
): Record<string, unknown> {
  const named = typeof choice === 'object' ? choice.function.name : null
  const allowed = named ? tools.filter((t) => t.function.name === named) : tools
  const calls = allowed.map((t) => ({
    type: 'object',
    properties: {
      name: { type: 'string', enum: [t.function.name] },
      arguments: t.function.parameters ?? { type: 'object' },
    },
    required: ['name', 'arguments'],
  }))
  const call = calls.length === 1 ? (calls[0] as Record<string, unknown>) : { anyOf: calls }
  return parallel && !named ? { type: 'array', items: call, minItems: 1, maxItems: 8 } : call
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

/**
 * Turns grammar-constrained JSON text ({"name":..,"arguments":..} or an array of those), fed as it streams, into
 * tool-call deltas: id and name first, then `arguments` fragments, as the openai SDK's ChatCompletionStream merges them.
 */
export class ToolCallStreamer {
  #depth = 0
  #callDepth = 0 // depth inside one call object: 1 for an object, 2 inside an array
  #inString = false
  #escape = false
  #index = -1
  #key = ''
  #keyDone = false
  #valueKey: string | null = null // the key whose value is being read at call level
  #name = ''
  #headerSent = false
  #args = ''
  #argsSent = 0
  readonly calls: ToolCall[] = []

  /** Feeds generated text; returns the deltas it completes. */
  push(text: string): ToolCallDelta[] {
    const out: ToolCallDelta[] = []
    for (const ch of text) this.#step(ch, out)
    this.#flushArgs(out)
    return out
  }

  #step(ch: string, out: ToolCallDelta[]): void {
    if (this.#callDepth === 0) {
      if (ch === '[') {
        this.#callDepth = 2
        this.#depth = 1
      } else if (ch === '{') {
        this.#callDepth = 1
        this.#depth = 0
      } else return
      if (ch === '[') return
    }
    const atCall = this.#depth === this.#callDepth
    if (this.#valueKey === 'arguments' && !(atCall && !this.#inString && (ch === ',' || ch === '}'))) {
      if (this.#args.length > 0 || ch.trim() !== '') this.#args += ch
    }
    if (this.#inString) {
      if (this.#escape) this.#escape = false
      else if (ch === '\\') this.#escape = true
      else if (ch === '"') this.#inString = false
      if (this.#inString || this.#escape) this.#collect(ch, atCall)
      else if (atCall) this.#endString(out)
      return
    }
    if (ch === '"') {
      this.#inString = true
      if (atCall && !this.#valueKey) {
        this.#key = ''
        this.#keyDone = false
      }
      return
    }
    if (ch === '{' || ch === '[') {
      this.#depth++
      if (ch === '{' && this.#depth === this.#callDepth) this.#startCall()
      return
    }
    if (ch === '}' || ch === ']') {
      if (atCall) this.#endCall(out)
      this.#depth--
      return
    }
    if (atCall && ch === ':') this.#valueKey = this.#key
    else if (atCall && ch === ',') this.#valueKey = null
  }

  #collect(ch: string, atCall: boolean): void {
    if (!atCall) return
    if (this.#valueKey === 'name') this.#name += ch
    else if (!this.#valueKey && !this.#keyDone) this.#key += ch
  }

  #endString(out: ToolCallDelta[]): void {
    if (!this.#valueKey) {
      this.#keyDone = true
      return
    }
    if (this.#valueKey === 'name') this.#sendHeader(out)
  }

  #startCall(): void {
    this.#index++
    this.#name = ''
    this.#args = ''
    this.#argsSent = 0
    this.#headerSent = false
    this.#valueKey = null
    this.calls.push({ id: toolCallId(), type: 'function', function: { name: '', arguments: '' } })
  }

  #endCall(out: ToolCallDelta[]): void {
    this.#sendHeader(out)
    this.#flushArgs(out)
    this.#valueKey = null
  }

  #sendHeader(out: ToolCallDelta[]): void {
    const call = this.calls[this.#index]
    if (this.#headerSent || !call) return
    this.#headerSent = true
    call.function.name = JSON.parse(`"${this.#name}"`) as string
    out.push({
      index: this.#index,
      id: call.id,
      type: 'function',
      function: { name: call.function.name, arguments: '' },
    })
  }

  #flushArgs(out: ToolCallDelta[]): void {
    const call = this.calls[this.#index]
    if (!this.#headerSent || !call || this.#args.length === this.#argsSent) return
    const fragment = this.#args.slice(this.#argsSent)
    this.#argsSent = this.#args.length
    call.function.arguments += fragment
    out.push({ index: this.#index, function: { arguments: fragment } })
  }
}
