import { laneOf } from './lane.js'
import { chatCompletion } from '../engine/generation/chat.js'
import { sse } from '../http/reply.js'
import type { Router } from '../http/router.js'
import { ChatCompletion, type ChatCompletionChunk, ChatCompletionCreateParams } from '../schemas/chat.js'
import { toEngineChat } from './chat-input.js'
import { chatChunks, collectChat, type ChatReplyOptions } from './chat-reply.js'
import { checkModelName, requireEngine, type ApiDeps } from './deps.js'
import { chunkErrorEvent, chunkEvents, openStream } from './chunk-stream.js'
import { legacyChunks, legacyCompletion } from './legacy-functions.js'
import { replyHead } from './reply-head.js'

/** Registers POST /v1/chat/completions. */
export function registerChat(router: Router, deps: ApiDeps): void {
  router.post(
    '/v1/chat/completions',
    {
      body: ChatCompletionCreateParams,
      response: ChatCompletion,
      summary: 'Creates a chat completion',
      inputParam: 'messages',
    },
    async (c) => {
      checkModelName(deps, c.body.model)
      const engine = requireEngine(deps)
      const request = toEngineChat(c.body, engine.model.hasImageInput)
      const events = chatCompletion(engine, request, { signal: c.signal, lane: laneOf(c.request) })
      const head = replyHead(engine, { prefix: 'chatcmpl', model: c.body.model })
      const reply: ChatReplyOptions = { n: c.body.n ?? 1, logprobs: request.logprobs === true }
      // a request with the deprecated `functions` (and no `tools`) gets the deprecated `function_call` reply
      const legacy = c.body.functions !== undefined && c.body.tools === undefined
      if (!c.body.stream) {
        const completion = await collectChat(events, head, reply)
        return legacy ? legacyCompletion(completion) : completion
      }
      const chunks = chatChunks(events, head, reply)
      const stream: AsyncGenerator<ChatCompletionChunk> = legacy ? legacyChunks(chunks) : chunks
      // each choice opens with a role-only chunk sent before the engine has read the prompt: wait past it
      const opened = await openStream(stream, isOpening)
      const includeUsage = c.body.stream_options?.include_usage === true
      return sse(chunkEvents(opened, stream, { includeUsage, onUsage: (total) => c.usedTokens(total) }), {
        errorEvent: chunkErrorEvent,
      })
    },
  )
}

// a choice's first chunk: the role and nothing else yet
function isOpening(chunk: ChatCompletionChunk): boolean {
  return (
    chunk.choices.length > 0 &&
    chunk.choices.every(
      (choice) =>
        choice.delta.role === 'assistant' &&
        !choice.delta.content &&
        !choice.delta.tool_calls &&
        choice.finish_reason === null,
    )
  )
}
