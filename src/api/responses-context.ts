import { chatCompletion } from '../engine/generation/chat.js'
import { promptOpensThinking, splitReasoning } from '../engine/generation/reasoning.js'
import type { Engine } from '../engine/engine.js'
import { EngineError } from '../engine/errors.js'
import type { CallOptions } from '../engine/types.js'
import { BadRequestError, NotFoundError } from '../http/errors.js'
import type { Response, ResponseCreateParams, ResponseItem } from '../schemas/responses.js'
import { StoreError } from '../store/errors.js'
import { newId } from '../store/ids.js'
import type { Store } from '../store/store.js'
import { openStream, type OpenedStream } from './chunk-stream.js'
import { toChatMessages, toEngineResponse } from './responses-input.js'
import { responseEvents, type ResponseStreamEvent } from './responses-reply.js'

/** A response's generation, opened past its first engine event. */
export type OpenedResponse = { opened: OpenedStream<ResponseStreamEvent>; stream: AsyncGenerator<ResponseStreamEvent> }

/**
 * Starts generating a response over `items` and pulls past the opening events to the engine's first one, so an early
 * error keeps its own status; with truncation 'auto' a prompt over the context drops its oldest items until it fits
 * (the last one stays).
 */
export async function openResponse(
  engine: Engine,
  body: ResponseCreateParams,
  items: ResponseItem[],
  options: { draft: Response; call: CallOptions },
): Promise<OpenedResponse> {
  const start = (context: ResponseItem[]) => {
    const request = toEngineResponse(body, toChatMessages(body.instructions, context))
    const events = splitReasoning(chatCompletion(engine, request, options.call), promptOpensThinking(engine))
    return responseEvents(events, options.draft, { logprobs: request.logprobs === true })
  }
  for (let context = items; ; context = context.slice(1)) {
    const stream = start(context)
    try {
      return { opened: await openStream(stream, isOpening), stream }
    } catch (error) {
      const overflow = error instanceof EngineError && error.code === 'context_length_exceeded'
      if (!overflow || body.truncation !== 'auto' || context.length <= 1) throw error
    }
  }
}

function isOpening(event: ResponseStreamEvent): boolean {
  return event.type === 'response.created' || event.type === 'response.in_progress'
}

/** The id of the request's `conversation` (a string or `{id}`), or null. */
export function conversationIdOf(conversation: ResponseCreateParams['conversation']): string | null {
  return typeof conversation === 'string' ? conversation : (conversation?.id ?? null)
}

/** The context a chained response starts from: each earlier response's input then output, oldest first. */
async function chainItems(store: Store, id: string): Promise<ResponseItem[]> {
  const turns: ResponseItem[][] = []
  for (let next: string | null | undefined = id; next;) {
    const response = await store.responses.get(next)
    if (!response)
      throw new BadRequestError(`Previous response with id '${next}' not found.`, {
        param: 'previous_response_id',
        code: 'previous_response_not_found',
        shouldRetry: false,
      })
    turns.push([...(await store.responses.inputItems(next)), ...response.output])
    next = response.previous_response_id
  }
  return turns.reverse().flat()
}

/** What a response starts from: its previous response's chain, or its conversation's items, or nothing. */
export async function contextItems(
  store: Store | null,
  previousId: string | null | undefined,
  conversationId: string | null,
): Promise<ResponseItem[]> {
  if (!store) return []
  if (previousId) return chainItems(store, previousId)
  if (conversationId) return conversationItems(store, conversationId)
  return []
}

/** A conversation's items, the context of a response made in it (an unknown conversation is a 404). */
async function conversationItems(store: Store, id: string): Promise<ResponseItem[]> {
  try {
    return await store.conversations.items(id)
  } catch (error) {
    if (error instanceof StoreError && error.code === 'not_found')
      throw new NotFoundError('conversation', id, { param: 'conversation' })
    throw error
  }
}

/** The response as it stands before generation: in progress, nothing out yet, every request setting echoed. */
export function draftResponse(body: ResponseCreateParams, tools: Response['tools']): Response {
  return {
    id: newId('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'in_progress',
    background: false,
    completed_at: null,
    access_programs: null,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    metadata: body.metadata ?? {},
    model: body.model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    conversation: null,
    reasoning: body.reasoning ?? null,
    store: body.store !== false,
    temperature: body.temperature ?? 1,
    text: body.text?.format ? body.text : { ...body.text, format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools,
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    ...(body.user !== undefined ? { user: body.user } : {}),
  }
}
