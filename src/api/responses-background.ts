import { BadRequestError, ServiceUnavailableError } from '../http/errors.js'
import { sse, type SseReply } from '../http/reply.js'
import type { SseEvent } from '../http/sse.js'
import type { Response, ResponseCreateParams, ResponseItem } from '../schemas/responses.js'
import type { ResponseStreamEvent } from '../schemas/responses-stream.js'
import type { ApiDeps } from './deps.js'
import type { ResponseRunner } from './response-runner.js'
import { toChatMessages, toEngineResponse } from './responses-input.js'
import { replayEvents } from './responses-reply.js'

/** What POST /v1/responses has resolved before it hands a response to the background. */
export type BackgroundRequest = {
  body: ResponseCreateParams
  input: ResponseItem[]
  context: ResponseItem[]
  /** The response as it stands before generation. */
  draft: Response
}

/**
 * Stores a `background: true` response as `queued` with its input, its create params and its opening events
 * (`response.created`, `response.queued`), hands it to the runner, and replies at once: the queued response, or with
 * `stream: true` its events as they come.
 */
export async function createBackground(deps: ApiDeps, request: BackgroundRequest): Promise<Response | SseReply> {
  const { body, input, context, draft } = request
  if (body.store === false)
    throw new BadRequestError("Background responses must be stored: 'store' cannot be false with 'background'.", {
      param: 'store',
      shouldRetry: false,
    })
  const runner = requireResponseRunner(deps)
  // the checks a foreground response makes before it runs: a bad request is a 400 now, not a failed response later
  toEngineResponse(body, toChatMessages(body.instructions, [...context, ...input]))
  const response: Response = { ...draft, status: 'queued', background: true }
  const opening: ResponseStreamEvent[] = [
    { type: 'response.created', response, sequence_number: 0 },
    { type: 'response.queued', response, sequence_number: 1 },
  ]
  await deps.store.transaction(async (tx) => {
    await tx.responses.create(response, input, { request: body })
    await tx.responses.appendEvents(response.id, opening)
  })
  runner.enqueue({ response, request: body }, opening)
  if (!body.stream) return response
  return sse(framed(runner.follow(response.id, -1) ?? opening))
}

/**
 * The stream of a stored response after `after`, for GET ?stream=true: a background response this process runs is
 * followed live; a finished background response replays its stored events (the same numbers its stream had); any
 * other response is rebuilt from the stored object.
 */
export async function storedStream(deps: ApiDeps, response: Response, after: number): Promise<SseReply> {
  if (response.background) {
    const live = deps.responseRunner?.follow(response.id, after)
    if (live) return sse(framed(live))
    return sse(framed(await deps.store.responses.events(response.id, after)))
  }
  const replayed = [...replayEvents(response)].map((event, sequence) => ({ ...event, sequence_number: sequence }))
  return sse(framed(replayed.filter((event) => event.sequence_number > after) as ResponseStreamEvent[]))
}

/** The background runner; it exists once the model has loaded (503 with Retry-After until then). */
export function requireResponseRunner(deps: ApiDeps): ResponseRunner {
  if (!deps.responseRunner)
    throw new ServiceUnavailableError('The model is still loading; background responses start once it is ready', {
      retryAfterMs: 2000,
      code: 'model_loading',
    })
  return deps.responseRunner
}

async function* framed(events: AsyncIterable<ResponseStreamEvent> | Iterable<ResponseStreamEvent>) {
  for await (const event of events) yield { event: event.type, data: JSON.stringify(event) } satisfies SseEvent
}
