import type { ChatMessage, ChatRequest, ToolChoice, ToolDefinition } from '../engine/types.js'
import { BadRequestError } from '../http/errors.js'
import type { ChatCompletionCreateParams } from '../schemas/chat.js'
import { samplingOf } from './sampling-input.js'

type Part = { type: string; text?: string; refusal?: string }

/** Joins text parts; a non-text part is a 400 naming it (the loaded model takes text only). */
function textOf(
  content: string | readonly Part[] | null | undefined,
  param: string,
  hasImageInput: boolean,
): string | null {
  if (content === null || content === undefined) return null
  if (typeof content === 'string') return content
  return content
    .map((part, j) => {
      if (part.type === 'text') return part.text ?? ''
      if (part.type === 'refusal') return part.refusal ?? ''
      const what = part.type === 'image_url' ? 'image' : part.type === 'input_audio' ? 'audio' : 'file'
      throw new BadRequestError(
        `This model does not support ${what} input${hasImageInput && what === 'image' ? ' through this server yet' : ''}: only text content parts are accepted.`,
        { param: `${param}[${j}]`, code: 'unsupported_content', shouldRetry: false },
      )
    })
    .join('')
}

/** Translates a validated chat request body into the engine's request. */
export function toEngineChat(body: ChatCompletionCreateParams, hasImageInput: boolean): ChatRequest {
  const messages: ChatMessage[] = body.messages.map((m, i): ChatMessage => {
    const param = `messages[${i}].content`
    switch (m.role) {
      case 'system':
      case 'developer':
      case 'user':
        return {
          role: m.role,
          content: textOf(m.content as string | Part[], param, hasImageInput) ?? '',
          ...(m.name ? { name: m.name } : {}),
        }
      case 'assistant': {
        const calls = (m.tool_calls ?? []).map((c, j) => {
          if (c.type !== 'function')
            throw new BadRequestError('Custom tool calls are not supported', {
              param: `messages[${i}].tool_calls[${j}]`,
            })
          return {
            id: c.id,
            type: 'function' as const,
            function: { name: c.function.name, arguments: c.function.arguments },
          }
        })
        if (m.function_call)
          calls.push({
            id: `call_${i}`,
            type: 'function',
            function: { name: m.function_call.name, arguments: m.function_call.arguments },
          })
        return {
          role: 'assistant',
          content: textOf(m.content as string | Part[] | null | undefined, param, hasImageInput),
          ...(calls.length ? { tool_calls: calls } : {}),
        }
      }
      case 'tool':
        return {
          role: 'tool',
          content: textOf(m.content as string | Part[], param, hasImageInput) ?? '',
          tool_call_id: m.tool_call_id,
        }
      case 'function':
        return { role: 'tool', content: m.content ?? '', tool_call_id: m.name }
    }
  })
  return {
    messages,
    ...toolsOf(body),
    response_format: body.response_format as ChatRequest['response_format'],
    logprobs: body.logprobs ?? null,
    top_logprobs: body.top_logprobs ?? null,
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? null,
    ...samplingOf(body),
    n: body.n,
    ...(body.grammar !== undefined ? { grammar: body.grammar } : {}),
    ...(body.ignore_eos ? { ignore_eos: true } : {}),
  }
}

function toolsOf(body: ChatCompletionCreateParams): Pick<ChatRequest, 'tools' | 'tool_choice' | 'parallel_tool_calls'> {
  const tools: ToolDefinition[] = (body.tools ?? []).map((t, i) => {
    if (t.type !== 'function')
      throw new BadRequestError(`Tool type '${t.type}' is not supported; use function tools`, {
        param: `tools[${i}].type`,
      })
    return {
      type: 'function',
      function: {
        name: t.function.name,
        description: t.function.description,
        parameters: t.function.parameters as Record<string, unknown> | undefined,
        strict: t.function.strict,
      },
    }
  })
  for (const f of body.functions ?? [])
    tools.push({
      type: 'function',
      function: {
        name: f.name,
        description: f.description,
        parameters: f.parameters as Record<string, unknown> | undefined,
      },
    })
  const choice = body.tool_choice ?? legacyChoice(body.function_call)
  if (tools.length === 0) {
    if (choice === 'required' || (typeof choice === 'object' && choice !== null))
      throw new BadRequestError("'tool_choice' is only allowed when 'tools' are specified", { param: 'tool_choice' })
    return {}
  }
  return {
    tools,
    tool_choice: toolChoiceOf(choice),
    ...(body.parallel_tool_calls !== undefined ? { parallel_tool_calls: body.parallel_tool_calls } : {}),
  }
}

function legacyChoice(call: ChatCompletionCreateParams['function_call']): ChatCompletionCreateParams['tool_choice'] {
  if (call === undefined) return undefined
  return typeof call === 'string' ? call : { type: 'function', function: { name: call.name } }
}

function toolChoiceOf(choice: ChatCompletionCreateParams['tool_choice']): ToolChoice {
  if (choice === undefined) return 'auto'
  if (typeof choice === 'string') return choice
  if (choice.type === 'function') return { type: 'function', function: { name: choice.function.name } }
  if (choice.type === 'allowed_tools') {
    throw new BadRequestError(
      "'tool_choice' of type 'allowed_tools' is not supported; pass the allowed tools in 'tools'",
      { param: 'tool_choice.type' },
    )
  }
  throw new BadRequestError("'tool_choice' of type 'custom' is not supported", { param: 'tool_choice.type' })
}
