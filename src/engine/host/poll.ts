import { EngineError } from '../errors.js'
import type { WorkerHost } from './worker-host.js'

/** One raw result from get_result: a chunk (stream) or a final object, as llama.cpp's server core shapes it. */
export type RawResult = Record<string, unknown>

/** A result the engine produced but could not encode (invalid UTF-8); the caller substitutes U+FFFD. */
export const LOST_RESULT: RawResult = Object.freeze({ lost: true })

// nlohmann::json refuses to dump invalid UTF-8 (type_error.316) inside get_result; that one result is lost but the
// request itself is intact and further polls continue it.
const INVALID_UTF8 = /type_error\.316|invalid UTF-8/

/**
 * Polls one engine request to its end. Each get_result runs one decode step for every active slot and returns the
 * next result of this request, if any. The next get_result is sent as soon as a result arrives, before the caller
 * consumes it, so the worker decodes the next token while this thread parses, streams and writes the last one (a
 * poll after the end is harmless: the engine answers it with end-of-stream). Aborting stops polling and cancels the
 * request, freeing its slot.
 */
export async function* pollResults(host: WorkerHost, reqId: number, signal?: AbortSignal): AsyncGenerator<RawResult> {
  const poll = () => host.action('get_result', { _name: 'gres_req', req_id: reqId })
  let ahead: ReturnType<typeof poll> | null = poll() // sent, its answer not read yet
  let finished = false
  try {
    while (ahead) {
      if (signal?.aborted) throw new EngineError('aborted', 'The request was aborted')
      const sent = ahead
      ahead = null
      let res
      try {
        res = await sent
      } catch (error) {
        if (error instanceof EngineError && error.code === 'rejected' && INVALID_UTF8.test(error.message)) {
          ahead = poll()
          yield LOST_RESULT
          continue
        }
        throw error
      }
      if (res.has_more) ahead = poll()
      const text = res.data_json as string
      if (text && text !== 'null') {
        const data = JSON.parse(text) as unknown
        if (res.is_error) throw engineResultError(data)
        for (const item of Array.isArray(data) ? data : [data]) if (item) yield item as RawResult
      }
    }
    finished = true
  } finally {
    // a poll sent ahead still runs; its answer is dropped (and its failure is not the caller's)
    await ahead?.catch(() => {})
    if (!finished && !host.dead) {
      await host.action('cancel', { _name: 'cncl_req', req_id: reqId }).catch(() => {})
    }
  }
}

function engineResultError(data: unknown): EngineError {
  const error = (data ?? {}) as { message?: string; type?: string; code?: number }
  const message = error.message ?? 'The engine failed the request'
  if (/exceed|context/i.test(message) && /context|n_ctx|too long|too large/i.test(message)) {
    return new EngineError('context_length_exceeded', message)
  }
  return new EngineError('rejected', message)
}
