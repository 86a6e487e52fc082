import type OpenAI from 'openai'
import { pollUntil } from './poll.js'

/** Statuses a background response ends in. */
export const FINISHED_RESPONSE = new Set(['completed', 'incomplete', 'failed', 'cancelled'])

/** Polls GET /v1/responses/{id} until `done` holds. */
export function waitForResponse(
  client: OpenAI,
  id: string,
  done: (response: OpenAI.Responses.Response) => boolean = (r) => FINISHED_RESPONSE.has(r.status ?? ''),
  timeoutMs = 120_000,
): Promise<OpenAI.Responses.Response> {
  return pollUntil(
    () => client.responses.retrieve(id),
    done,
    timeoutMs,
    (response) => `Response ${id} never reached the awaited state: ${response.status}`,
  )
}
