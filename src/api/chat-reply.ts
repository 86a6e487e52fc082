import { collectGeneration } from '../engine/generation/collect.js'
import type { GenerationEvent, TokenLogprob, ToolCallEvent } from '../engine/types.js'
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionChunkToolCall } from '../schemas/chat.js'
import { withObject, type ReplyHead } from './reply-head.js'

/** How the request shapes its reply: its choice count and whether it asked for logprobs. */
export interface ChatReplyOptions {
  n: number
  logprobs: boolean
}

/**
 * Shapes a chat generation's events as `chat.completion.chunk` objects: first a role-only chunk per choice, then one
 * chunk per event, and last a chunk with `choices: []`, the usage and the timings.
 */
export async function* chatChunks(
  events: AsyncIterable<GenerationEvent>,
  head: ReplyHead,
  options: ChatReplyOptions,
): AsyncGenerator<ChatCompletionChunk> {
  const base = withObject(head, 'chat.completion.chunk')
  const logprobs = (content: TokenLogprob[] = []) => (options.logprobs ? { content, refusal: null } : null)
  const chunk = (index: number, delta: ChatCompletionChunk['choices'][number]['delta'], event?: GenerationEvent) => ({
    ...base,
    choices: [
      {
        index,
        delta,
        logprobs: logprobs(event && 'logprobs' in event ? event.logprobs : undefined),
        finish_reason: event?.type === 'finish' ? event.reason : null,
      },
    ],
  })
  for (let index = 0; index < options.n; index++) yield chunk(index, { role: 'assistant', content: '' })
  for await (const event of events) {
    switch (event.type) {
      case 'text':
        yield chunk(event.choice, { content: event.text }, event)
        break
      case 'tool_call':
        yield chunk(event.choice, { tool_calls: [toolCallDelta(event)] }, event)
        break
      case 'logprobs':
      case 'finish':
        yield chunk(event.choice, {}, event)
        break
      case 'usage':
        yield { ...base, choices: [], usage: event.usage, timings: event.timings }
        break
      default:
        event satisfies never
    }
  }
}

/** Reads a chat generation to its end and shapes it as one `chat.completion`. */
export async function collectChat(
  events: AsyncIterable<GenerationEvent>,
  head: ReplyHead,
  options: ChatReplyOptions,
): Promise<ChatCompletion> {
  const generation = await collectGeneration(events)
  const choices = generation.choices.map((choice, index) => ({
    index,
    message: {
      role: 'assistant' as const,
      content: choice.text === '' ? null : choice.text,
      refusal: null,
      ...(choice.toolCalls.length > 0 ? { tool_calls: choice.toolCalls } : {}),
    },
    logprobs: options.logprobs ? { content: choice.logprobs, refusal: null } : null,
    finish_reason: choice.finish,
  }))
  return {
    ...withObject(head, 'chat.completion'),
    choices,
    usage: generation.usage,
    ...(generation.timings ? { timings: generation.timings } : {}),
  }
}

function toolCallDelta(event: ToolCallEvent): ChatCompletionChunkToolCall {
  return {
    index: event.index,
    ...(event.id ? { id: event.id, type: 'function' as const } : {}),
    function: { ...(event.name !== undefined ? { name: event.name } : {}), arguments: event.arguments },
  }
}
