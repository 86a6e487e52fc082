import type OpenAI from 'openai'

/** Statuses a background response ends in. */
export const FINISHED_RESPONSE = new Set(['completed', 'incomplete', 'failed', 'cancelled'])

/** Polls GET /v1/responses/{id} until `done` holds (a state, never a time), failing after `timeoutMs`. */
export async function waitForResponse(
  client: OpenAI,
  id: string,
  done: (response: OpenAI.Responses.Response) => boolean = (r) => FINISHED_RESPONSE.has(r.status ?? ''),
  timeoutMs = 120_000,
): Promise<OpenAI.Responses.Response> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const response = await client.responses.retrieve(id)
    if (done(response)) return response
    if (Date.now() > deadline) throw new Error(`Response ${id} never reached the awaited state: ${response.status}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
