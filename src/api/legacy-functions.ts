import type { ChatCompletion, ChatCompletionChunk, ChatCompletionFinishReason } from '../schemas/chat.js'

type Message = ChatCompletion['choices'][number]['message']
type Delta = ChatCompletionChunk['choices'][number]['delta']

// openai-node types these as ChatCompletionMessage.function_call and the chunk delta's function_call; the
// reply schemas have no such key, so it is added as an extra property
function withFunctionCall<T extends object>(value: T, call: { name?: string; arguments: string }): T {
  return Object.assign(value, { function_call: call })
}

function legacyFinish(reason: ChatCompletionFinishReason): ChatCompletionFinishReason {
  return reason === 'tool_calls' ? 'function_call' : reason
}

/** The reply to a request made with the deprecated `functions`: `message.function_call` and finish `function_call`. */
export function legacyCompletion(completion: ChatCompletion): ChatCompletion {
  const choices = completion.choices.map((choice) => {
    const { tool_calls: calls, ...rest } = choice.message
    const first = calls?.[0]
    if (!first) return choice
    const message: Message = withFunctionCall(rest, { name: first.function.name, arguments: first.function.arguments })
    return { ...choice, message, finish_reason: legacyFinish(choice.finish_reason) }
  })
  return { ...completion, choices }
}

/** Rewrites streamed tool-call deltas as the deprecated `delta.function_call` (the first call only, as OpenAI sends one). */
export async function* legacyChunks(chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<ChatCompletionChunk> {
  for await (const chunk of chunks) {
    const choices = chunk.choices.map((choice) => {
      const { tool_calls: calls, ...rest } = choice.delta
      const call = calls?.find((d) => d.index === 0)
      const delta: Delta = call
        ? withFunctionCall(rest, {
            ...(call.function?.name ? { name: call.function.name } : {}),
            arguments: call.function?.arguments ?? '',
          })
        : rest
      return { ...choice, delta, finish_reason: choice.finish_reason && legacyFinish(choice.finish_reason) }
    })
    yield { ...chunk, choices }
  }
}
