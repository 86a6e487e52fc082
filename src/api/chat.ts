import { chatCompletion } from '../engine/chat.js'
import { collectChat } from '../engine/collect.js'
import { sse } from '../http/reply.js'
import type { Router } from '../http/router.js'
import { ChatCompletion, ChatCompletionCreateParams } from '../schemas/chat.js'
import { toEngineChat } from './chat-input.js'
import { checkModelName, requireEngine, type ApiDeps } from './deps.js'
import { chunkEvents } from './chunk-stream.js'
import { mapErrors } from './errors.js'

/** Registers POST /v1/chat/completions. */
export function registerChat(router: Router, deps: ApiDeps): void {
  router.post('/v1/chat/completions', { body: ChatCompletionCreateParams, response: ChatCompletion, summary: 'Creates a chat completion' }, (c) => mapErrors(async () => {
    checkModelName(deps, c.body.model)
    const engine = requireEngine(deps)
    const request = toEngineChat(c.body, engine.model.hasImageInput)
    const chunks = chatCompletion(engine, request, { model: c.body.model, signal: c.signal })
    if (!c.body.stream) return await collectChat(chunks) as ChatCompletion
    const first = await chunks.next() // errors before the first chunk still get a proper status code
    return sse(chunkEvents(first, chunks, c.body.stream_options?.include_usage === true))
  }))
}
