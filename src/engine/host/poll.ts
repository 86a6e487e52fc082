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
 * next result of this request, if any. Aborting stops polling and cancels the request, freeing its slot.
 */
export async function* pollResults(host: WorkerHost, reqId: number, signal?: AbortSignal): AsyncGenerator<RawResult> {
  let finished = false
  try {
    while (true) {
      if (signal?.aborted) throw new EngineError('aborted', 'The request was aborted')
      let res
      try {
        res = await host.action('get_result', { _name: 'gres_req', req_id: reqId })
      } catch (error) {
        if (error instanceof EngineError && error.code === 'rejected' && INVALID_UTF8.test(error.message)) {
          yield LOST_RESULT
          continue
        }
        throw error
      }
      const text = res.data_json as string
      if (text && text !== 'null') {
        const data = JSON.parse(text) as unknown
        if (res.is_error) throw engineResultError(data)
        for (const item of Array.isArray(data) ? data : [data]) if (item) yield item as RawResult
      }
      if (!res.has_more) {
        finished = true
        return
      }
    }
  } finally {
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
