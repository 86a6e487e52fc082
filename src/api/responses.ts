import { chatCompletion } from '../engine/generation/chat.js'
import { EngineError } from '../engine/errors.js'
import { collectGeneration } from '../engine/generation/collect.js'
import { ApiError, BadRequestError, NotFoundError } from '../http/errors.js'
import { sse } from '../http/reply.js'
import type { Router } from '../http/router.js'
import type { SseEvent } from '../http/sse.js'
import {
  InputItemListParams,
  InputTokenCount,
  InputTokenCountParams,
  Response,
  ResponseCreateParams,
  ResponseDeleted,
  ResponseItemList,
  ResponsePath,
  ResponseRetrieveParams,
  type ResponseItem,
} from '../schemas/responses.js'
import { StoreError } from '../store/errors.js'
import { newId } from '../store/ids.js'
import type { Store } from '../store/store.js'
import { openStream, type OpenedStream } from './chunk-stream.js'
import { checkModelName, requireEngine, type ApiDeps } from './deps.js'
import { toApiError } from './errors.js'
import { laneOf } from './lane.js'
import { functionTools, toChatMessages, toEngineResponse, toResponseItems } from './responses-input.js'
import { isTerminal, replayEvents, responseEvents, type ResponseStreamEvent } from './responses-reply.js'

/** Registers POST /v1/responses, GET/DELETE /v1/responses/:response_id and its input_items. */
export function registerResponses(router: Router, deps: ApiDeps): void {
  router.post(
    '/v1/responses',
    { body: ResponseCreateParams, response: Response, summary: 'Creates a model response', inputParam: 'input' },
    async (c) => {
      const body = c.body
      checkModelName(deps, body.model)
      if (body.background) unsupported('background', "'background' responses are not supported by this server yet.")
      const conversationId = conversationIdOf(body.conversation)
      if (conversationId && body.previous_response_id)
        throw new BadRequestError("'conversation' and 'previous_response_id' cannot be used together.", {
          param: 'conversation',
        })
      const engine = requireEngine(deps)
      const store = body.store !== false || body.previous_response_id || conversationId ? deps.store : null
      const tools = functionTools(body.tools)
      const input = toResponseItems(body.input)
      const context = await contextItems(store, body.previous_response_id, conversationId)
      const draft = { ...draftResponse(body, tools), conversation: conversationId ? { id: conversationId } : null }
      const start = (items: ResponseItem[]) => {
        const request = toEngineResponse(body, toChatMessages(body.instructions, items))
        const events = chatCompletion(engine, request, { signal: c.signal, lane: laneOf(c.request) })
        return responseEvents(events, draft, { logprobs: request.logprobs === true })
      }
      // pull past the opening events to the engine's first one, so an early error keeps its own status; with
      // truncation 'auto' a prompt over the context drops its oldest items until it fits (the last one stays)
      let items = [...context, ...input]
      let stream = start(items)
      let opened: OpenedStream<ResponseStreamEvent>
      for (;;) {
        try {
          opened = await openStream(stream, isOpening)
          break
        } catch (error) {
          const overflow = error instanceof EngineError && error.code === 'context_length_exceeded'
          if (!overflow || body.truncation !== 'auto' || items.length <= 1) throw error
          items = items.slice(1)
          stream = start(items)
        }
      }
      // the response and its conversation items land together; the store locks the conversation while appending
      const persist = async (response: Response) => {
        if (!store) return
        await store.transaction(async (tx) => {
          if (body.store !== false) await tx.responses.create(response, input)
          if (conversationId) await tx.conversations.appendItems(conversationId, [...input, ...response.output])
        })
      }
      if (!body.stream) {
        for await (const event of opened.done ? opened.head : [...opened.head, ...(await rest(stream))]) {
          if (!isTerminal(event)) continue
          await persist(event.response)
          return event.response
        }
        throw new ApiError(500, 'The generation ended without a result')
      }
      return sse(frames(opened.head, opened.done ? null : stream, draft, persist))
    },
  )

  router.post(
    '/v1/responses/input_tokens',
    {
      body: InputTokenCountParams,
      response: InputTokenCount,
      summary: 'Counts the input tokens a response with this input would read (the prompt as the template renders it)',
      inputParam: 'input',
    },
    async (c) => {
      const body = c.body
      if (body.model) checkModelName(deps, body.model)
      const conversationId = conversationIdOf(body.conversation)
      const engine = requireEngine(deps)
      const store = body.previous_response_id || conversationId ? deps.store : null
      const context = await contextItems(store, body.previous_response_id, conversationId)
      const messages = toChatMessages(body.instructions, [...context, ...toResponseItems(body.input ?? undefined)])
      if (messages.length === 0) return { object: 'response.input_tokens' as const, input_tokens: 0 }
      const settings: ResponseCreateParams = {
        model: body.model ?? deps.model.id,
        ...(body.tools ? { tools: body.tools } : {}),
        ...(body.tool_choice ? { tool_choice: body.tool_choice } : {}),
        ...(body.text ? { text: body.text } : {}),
      }
      // the engine counts the rendered prompt while it reads it: one token is generated and thrown away
      const request = { ...toEngineResponse(settings, messages), max_tokens: 1 }
      const generation = await collectGeneration(
        chatCompletion(engine, request, { signal: c.signal, lane: laneOf(c.request) }),
      )
      return { object: 'response.input_tokens' as const, input_tokens: generation.usage.prompt_tokens }
    },
  )

  router.get(
    '/v1/responses/:response_id',
    { params: ResponsePath, query: ResponseRetrieveParams, response: Response, summary: 'Retrieves a response' },
    async (c) => {
      const response = await deps.store.responses.get(c.params.response_id)
      if (!response) throw new NotFoundError('response', c.params.response_id)
      if (!c.query.stream) return response
      const after = c.query.starting_after ?? -1
      return sse(
        (async function* () {
          for (const [sequence, event] of [...replayEvents(response)].entries())
            if (sequence > after)
              yield { event: event.type, data: JSON.stringify({ ...event, sequence_number: sequence }) }
        })(),
      )
    },
  )

  router.delete(
    '/v1/responses/:response_id',
    { params: ResponsePath, response: ResponseDeleted, summary: 'Deletes a response with its input items' },
    (c) => deps.store.responses.delete(c.params.response_id),
  )

  router.get(
    '/v1/responses/:response_id/input_items',
    {
      params: ResponsePath,
      query: InputItemListParams,
      response: ResponseItemList,
      summary: "Lists a response's input items",
    },
    (c) => deps.store.responses.listInputItems(c.params.response_id, c.query),
  )
}

function isOpening(event: ResponseStreamEvent): boolean {
  return event.type === 'response.created' || event.type === 'response.in_progress'
}

async function rest<T>(stream: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of stream) out.push(item)
  return out
}

function conversationIdOf(conversation: ResponseCreateParams['conversation']): string | null {
  return typeof conversation === 'string' ? conversation : (conversation?.id ?? null)
}

function unsupported(param: string, message: string): never {
  throw new BadRequestError(message, { param, code: 'unsupported_parameter', shouldRetry: false })
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
async function contextItems(
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
function draftResponse(body: ResponseCreateParams, tools: Response['tools']): Response {
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

/**
 * Frames Responses events as SSE with `sequence_number` from 0; the terminal response is stored before it is sent,
 * so a client that reads it can retrieve it. An error after the headers ends the stream with `response.failed`.
 */
async function* frames(
  head: ResponseStreamEvent[],
  rest: AsyncGenerator<ResponseStreamEvent> | null,
  draft: Response,
  persist: (response: Response) => Promise<void>,
): AsyncGenerator<SseEvent> {
  let sequence = 0
  const frame = (event: ResponseStreamEvent): SseEvent => ({
    event: event.type,
    data: JSON.stringify({ ...event, sequence_number: sequence++ }),
  })
  try {
    for (const event of head) yield frame(event)
    if (!rest) return
    for await (const event of rest) {
      if (isTerminal(event)) await persist(event.response)
      yield frame(event)
    }
  } catch (error) {
    const mapped = toApiError(error, null) ?? error
    const message = mapped instanceof Error ? mapped.message : 'The server failed to generate the response'
    yield frame({
      type: 'response.failed',
      response: { ...draft, status: 'failed', error: { code: 'server_error', message } },
    })
  } finally {
    await rest?.return(undefined)
  }
}
