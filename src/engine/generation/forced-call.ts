import { jsonSchemaGrammar } from './json-grammar.js'
import { ArgumentsStreamer, NamedCallStreamer, type CallStreamer } from './tool-call-streamer.js'
import type { ChatRequest, ToolDefinition } from '../types.js'

// llama.cpp's server core cannot force a tool call unless the chat template has tool syntax, and rejects
// tool_choice objects. So a forced call is generated under a grammar built from the tools' JSON schemas and turned
// into tool calls here, which works with any template. The grammar generates only what is not known: with one
// function to call, the arguments object alone, its name and id added around it.

/** The most calls one forced answer may hold when parallel calls are asked for. */
const MAX_PARALLEL_CALLS = 8

/** How a forced tool call is generated and read back. */
export interface ForcedCall {
  /** The function every call names, when only one can be called. */
  name: string | null
  /** llama.cpp request fields that shape the output: a compact GBNF grammar, or a JSON schema llama.cpp converts. */
  body: { grammar: string } | { json_schema: Record<string, unknown> }
  /** A new reader of the generated text, one per choice. */
  streamer(): CallStreamer
}

/**
 * Plans a forced call (tool_choice `required` or a named function): with one function allowed, the model writes its
 * arguments object (an array of them for parallel calls); with several, `{"name":..,"arguments":..}` objects.
 */
export function forcedCall(request: ChatRequest): ForcedCall {
  const tools = request.tools ?? []
  const choice = request.tool_choice
  const named = typeof choice === 'object' ? choice.function.name : null
  const allowed = named ? tools.filter((t) => t.function.name === named) : tools
  // a named function is called once; `required` with parallel_tool_calls may call several times
  const parallel = !named && request.parallel_tool_calls === true
  const only = allowed.length === 1 ? allowed[0] : undefined
  if (only) {
    const name = only.function.name
    const args = parametersOf(only)
    return { name, body: constrain(parallel ? listOf(args) : args), streamer: () => new ArgumentsStreamer(name) }
  }
  const calls = allowed.map((t) => ({
    type: 'object',
    properties: { name: { const: t.function.name }, arguments: parametersOf(t) },
    required: ['name', 'arguments'],
  }))
  const call = { anyOf: calls }
  return { name: null, body: constrain(parallel ? listOf(call) : call), streamer: () => new NamedCallStreamer() }
}

// OpenAI: "Omitting parameters defines a function with an empty parameter list"
function parametersOf(tool: ToolDefinition): Record<string, unknown> {
  return tool.function.parameters ?? { type: 'object', properties: {} }
}

function listOf(items: Record<string, unknown>): Record<string, unknown> {
  return { type: 'array', items, minItems: 1, maxItems: MAX_PARALLEL_CALLS }
}

function constrain(schema: Record<string, unknown>): ForcedCall['body'] {
  const grammar = jsonSchemaGrammar(schema)
  return grammar === null ? { json_schema: schema } : { grammar }
}
