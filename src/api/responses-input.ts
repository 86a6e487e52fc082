import type { ChatMessage, ChatRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../engine/types.js'
import { BadRequestError } from '../http/errors.js'
import {
  SUPPORTED_INCLUDES,
  type ResponseCreateParams,
  type ResponseFunctionTool,
  type ResponseItem,
  type ResponseOutputItem,
} from '../schemas/responses.js'
import { newId } from '../store/ids.js'

type Part = { type: string; text?: string; refusal?: string }

/** The request's `input` as stored items: a string is one user message; every item gets an id and a status. */
export function toResponseItems(input: ResponseCreateParams['input'], param = 'input'): ResponseItem[] {
  if (input === undefined) return []
  if (typeof input === 'string')
    return [{ id: newId('msg'), type: 'message', role: 'user', status: 'completed', content: [inputText(input)] }]
  return input.flatMap((item, i): ResponseItem[] => {
    switch (item.type) {
      case undefined:
      case 'message': {
        const content =
          typeof item.content === 'string'
            ? [item.role === 'assistant' ? outputText(item.content) : inputText(item.content)]
            : item.content.map((part, j) => storedPart(part, `${param}[${i}].content[${j}]`))
        return [
          {
            id: item.id ?? newId('msg'),
            type: 'message',
            role: item.role,
            status: item.status ?? 'completed',
            content,
          },
        ]
      }
      case 'function_call':
        return [
          {
            type: 'function_call',
            id: item.id ?? newId('fc'),
            call_id: item.call_id,
            name: item.name,
            arguments: item.arguments,
            status: item.status ?? 'completed',
          },
        ]
      case 'function_call_output': {
        const output =
          typeof item.output === 'string'
            ? item.output
            : item.output.map((part, j) => {
                if (part.type !== 'input_text') throw unsupportedPart(part.type, `${param}[${i}].output[${j}]`)
                return inputText(part.text)
              })
        return [
          {
            id: item.id ?? newId('fc'),
            type: 'function_call_output',
            call_id: item.call_id,
            output,
            status: item.status ?? 'completed',
          },
        ]
      }
      case 'reasoning':
        return [] // reasoning stays out of the prompt (and of the stored input)
      default:
        item satisfies never
        return []
    }
  })
}

/**
 * The engine's chat messages for a context: `instructions` as the system message, then each item in order. Function
 * calls join the assistant message before them; every call must have its output somewhere after it.
 */
export function toChatMessages(instructions: string | null | undefined, items: ResponseItem[]): ChatMessage[] {
  const messages: ChatMessage[] = instructions ? [{ role: 'system', content: instructions }] : []
  const answered = new Set(items.flatMap((item) => (item.type === 'function_call_output' ? [item.call_id] : [])))
  for (const item of items) {
    switch (item.type) {
      case 'message':
        messages.push({ role: item.role, content: item.content.map(partText).join('') })
        break
      case 'function_call': {
        if (!answered.has(item.call_id))
          throw new BadRequestError(`No tool output found for function call ${item.call_id}.`, { param: 'input' })
        const call = {
          id: item.call_id,
          type: 'function' as const,
          function: { name: item.name, arguments: item.arguments },
        }
        const last = messages.at(-1)
        if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call]
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] })
        break
      }
      case 'function_call_output':
        messages.push({
          role: 'tool',
          tool_call_id: item.call_id,
          content: typeof item.output === 'string' ? item.output : item.output.map((part) => part.text).join(''),
        })
        break
      case 'reasoning':
        break // earlier turns' reasoning stays out of the prompt, as chat templates drop it
      default:
        item satisfies never
    }
  }
  return messages
}

/** A response's output items as they enter a later context. */
export function outputAsItems(output: ResponseOutputItem[]): ResponseItem[] {
  return output
}

/** Checks `tools`, `tool_choice`, `text` and `include`, and builds the engine request around the messages. */
export function toEngineResponse(body: ResponseCreateParams, messages: ChatMessage[]): ChatRequest {
  const unsupported = (body.include ?? []).filter((value) => !(SUPPORTED_INCLUDES as readonly string[]).includes(value))
  if (unsupported.length > 0)
    throw new BadRequestError(`Unsupported 'include' values: ${unsupported.join(', ')}.`, { param: 'include' })
  const logprobs = (body.include ?? []).includes('message.output_text.logprobs')
  return {
    messages,
    ...toolsOf(body),
    ...(body.text?.format ? { response_format: formatOf(body.text.format) } : {}),
    max_tokens: body.max_output_tokens ?? null,
    temperature: body.temperature,
    top_p: body.top_p,
    logprobs,
    top_logprobs: logprobs ? (body.top_logprobs ?? 0) : null,
  }
}

/** The function tools of the request (hosted tools are a 400 naming their type). */
export function functionTools(tools: ResponseCreateParams['tools']): ResponseFunctionTool[] {
  return (tools ?? []).map((tool, i) => {
    const type = (tool as { type: string }).type
    if (type !== 'function')
      throw new BadRequestError(`Tool type '${type}' is not supported by this server; use function tools.`, {
        param: `tools[${i}].type`,
        code: 'unsupported_tool',
      })
    return tool as ResponseFunctionTool
  })
}

function toolsOf(body: ResponseCreateParams): Pick<ChatRequest, 'tools' | 'tool_choice' | 'parallel_tool_calls'> {
  let tools: ToolDefinition[] = functionTools(body.tools).map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description ?? undefined,
      parameters: tool.parameters ?? undefined,
      strict: tool.strict,
    },
  }))
  const choice = body.tool_choice ?? 'auto'
  let engineChoice: ToolChoice
  if (typeof choice === 'string') engineChoice = choice
  else if (choice.type === 'function') {
    const name = (choice as unknown as { name: string }).name
    if (!tools.some((tool) => tool.function.name === name))
      throw new BadRequestError(`Tool choice '${name}' is not among the function tools.`, { param: 'tool_choice.name' })
    engineChoice = { type: 'function', function: { name } }
  } else if (choice.type === 'allowed_tools') {
    const allowed = choice as unknown as { mode: 'auto' | 'required'; tools: Array<Record<string, unknown>> }
    const names = new Set(allowed.tools.map((tool) => tool['name']))
    tools = tools.filter((tool) => names.has(tool.function.name))
    engineChoice = allowed.mode
  } else
    throw new BadRequestError(`'tool_choice' of type '${choice.type}' is not supported by this server.`, {
      param: 'tool_choice.type',
    })
  if (tools.length === 0) {
    if (engineChoice !== 'auto' && engineChoice !== 'none')
      throw new BadRequestError("'tool_choice' needs function 'tools'.", { param: 'tool_choice' })
    return {}
  }
  return {
    tools,
    tool_choice: engineChoice,
    ...(typeof body.parallel_tool_calls === 'boolean' ? { parallel_tool_calls: body.parallel_tool_calls } : {}),
  }
}

function formatOf(format: NonNullable<NonNullable<ResponseCreateParams['text']>['format']>): ResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type }
  return { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: format.strict } }
}

function storedPart(part: Part, param: string) {
  switch (part.type) {
    case 'input_text':
      return inputText(part.text ?? '')
    case 'output_text':
      return outputText(part.text ?? '')
    case 'refusal':
      return { type: 'refusal' as const, refusal: part.refusal ?? '' }
    default:
      throw unsupportedPart(part.type, param)
  }
}

function unsupportedPart(type: string, param: string): BadRequestError {
  return new BadRequestError(`Content of type '${type}' is not supported: this model takes text only.`, {
    param,
    code: 'unsupported_content',
  })
}

function partText(part: Part): string {
  return part.type === 'refusal' ? (part.refusal ?? '') : (part.text ?? '')
}

function inputText(text: string) {
  return { type: 'input_text' as const, text }
}

function outputText(text: string) {
  return { type: 'output_text' as const, text, annotations: [] }
}
