import { chatCompletion, countChatPrompt } from '../engine/generation/chat.js'
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
} from '../schemas/responses.js'
import { checkModelName, requireEngine, type ApiDeps } from './deps.js'
import { toApiError } from './errors.js'
import { laneOf } from './lane.js'
import { createBackground, requireResponseRunner, storedStream } from './responses-background.js'
import { contextItems, conversationIdOf, draftResponse, openResponse } from './responses-context.js'
import { functionTools, toChatMessages, toEngineResponse, toResponseItems } from './responses-input.js'
import { isTerminal, type ResponseStreamEvent } from './responses-reply.js'

/** Registers POST /v1/responses, GET/DELETE /v1/responses/:response_id and its input_items. */
export function registerResponses(router: Router, deps: ApiDeps): void {
  router.post(
    '/v1/responses',
    { body: ResponseCreateParams, response: Response, summary: 'Creates a model response', inputParam: 'input' },
    async (c) => {
      const body = c.body
      checkModelName(deps, body.model)
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
      if (body.background) return createBackground(deps, { body, input, context, draft })
      const { opened, stream } = await openResponse(engine, body, [...context, ...input], {
        draft,
        call: { signal: c.signal, lane: laneOf(c.request) },
      })
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
      // the terminal response's usage settles the rate limiter's estimate, as chat streams do with their usage chunk
      const settle = async (response: Response) => {
        if (response.usage) c.usedTokens(response.usage.total_tokens)
        await persist(response)
      }
      return sse(frames(opened.head, opened.done ? null : stream, draft, settle))
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
      const request = toEngineResponse(settings, messages)
      const counted = countChatPrompt(engine, request)
      if (counted !== null) return { object: 'response.input_tokens' as const, input_tokens: counted }
      // a template this server does not render: the engine counts the prompt as it reads it (one token, dropped)
      const generation = await collectGeneration(
        chatCompletion(engine, { ...request, max_tokens: 1 }, { signal: c.signal, lane: laneOf(c.request) }),
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
      return storedStream(deps, response, c.query.starting_after ?? -1)
    },
  )

  router.post(
    '/v1/responses/:response_id/cancel',
    { params: ResponsePath, response: Response, summary: 'Cancels a background response, queued or in progress' },
    (c) => requireResponseRunner(deps).cancel(c.params.response_id),
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

async function rest<T>(stream: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of stream) out.push(item)
  return out
}

async function* chain<T>(head: T[], rest: AsyncGenerator<T> | null): AsyncGenerator<T> {
  yield* head
  if (rest) yield* rest
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
    // the head can hold the terminal event too (a generation that ends before any output item)
    for await (const event of chain(head, rest)) {
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
