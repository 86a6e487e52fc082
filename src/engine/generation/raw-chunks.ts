import { LOST_RESULT, type RawResult } from '../host/poll.js'
import type { ToolCallPiece } from './tool-call-accumulator.js'
import type { FinishReason, Timings, TokenLogprob, Usage } from '../types.js'

/** One step of a choice's output, read from llama.cpp's streamed chunks. */
export interface Piece {
  text: string
  toolCalls?: ToolCallPiece[]
  logprobs: TokenLogprob[]
  finish?: FinishReason
  usage?: Usage
  timings?: Timings
}

// llama.cpp's tool-call delta (native tool calls of templates with tool syntax), OpenAI-shaped
interface RawToolCallDelta {
  index: number
  id?: string
  function?: { name?: string; arguments?: string }
}

interface RawChoice {
  delta?: { content?: string | null; tool_calls?: RawToolCallDelta[] }
  text?: string
  finish_reason?: string | null
  logprobs?: { content?: RawLogprob[] } | null
}
interface RawLogprob {
  token: string
  logprob: number
  bytes?: number[] | null
  top_logprobs?: RawLogprob[]
}

/** Reads llama.cpp's chunks (chat or text) into pieces; a result lost to invalid UTF-8 becomes U+FFFD. */
export async function* readPieces(results: AsyncIterable<RawResult>): AsyncGenerator<Piece> {
  for await (const raw of results) {
    if (raw === LOST_RESULT) {
      yield { text: '\uFFFD', logprobs: [] }
      continue
    }
    const choice = (raw.choices as RawChoice[] | undefined)?.[0]
    const piece: Piece = {
      text: choice?.delta?.content ?? choice?.text ?? '',
      logprobs: (choice?.logprobs?.content ?? []).map(toLogprob),
    }
    if (choice?.delta?.tool_calls?.length) piece.toolCalls = choice.delta.tool_calls.map(toToolCallPiece)
    const finish = choice?.finish_reason
    if (finish === 'stop' || finish === 'length' || finish === 'tool_calls') piece.finish = finish
    if (raw.usage) piece.usage = pickUsage(raw.usage as Usage)
    if (raw.timings) piece.timings = pickTimings(raw.timings as Timings)
    if (piece.text || piece.toolCalls || piece.logprobs.length || piece.finish || piece.usage || piece.timings)
      yield piece
  }
}

function toToolCallPiece(raw: RawToolCallDelta): ToolCallPiece {
  return {
    index: raw.index,
    ...(raw.id ? { id: raw.id } : {}),
    ...(raw.function?.name ? { name: raw.function.name } : {}),
    arguments: raw.function?.arguments ?? '',
  }
}

function toLogprob(raw: RawLogprob): TokenLogprob {
  return {
    token: raw.token,
    logprob: raw.logprob,
    bytes: raw.bytes ?? null,
    top_logprobs: (raw.top_logprobs ?? []).map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes ?? null })),
  }
}

function pickUsage(u: Usage): Usage {
  return { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total_tokens }
}

function pickTimings(t: Timings): Timings {
  return {
    prompt_n: t.prompt_n,
    prompt_ms: t.prompt_ms,
    predicted_n: t.predicted_n,
    predicted_ms: t.predicted_ms,
    prompt_per_second: t.prompt_per_second,
    predicted_per_second: t.predicted_per_second,
  }
}

/** Adds up usage and timings over several choices (the prompt is counted once, as OpenAI does). */
export function sumUsage(parts: { usage?: Usage | undefined; timings?: Timings | undefined }[]): {
  usage: Usage
  timings: Timings
} {
  const usage: Usage = { prompt_tokens: parts[0]?.usage?.prompt_tokens ?? 0, completion_tokens: 0, total_tokens: 0 }
  const timings: Timings = {
    prompt_n: 0,
    prompt_ms: 0,
    predicted_n: 0,
    predicted_ms: 0,
    prompt_per_second: 0,
    predicted_per_second: 0,
  }
  for (const p of parts) {
    usage.completion_tokens += p.usage?.completion_tokens ?? 0
    timings.prompt_n += p.timings?.prompt_n ?? 0
    timings.prompt_ms += p.timings?.prompt_ms ?? 0
    timings.predicted_n += p.timings?.predicted_n ?? 0
    timings.predicted_ms = Math.max(timings.predicted_ms, p.timings?.predicted_ms ?? 0)
  }
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens
  timings.prompt_per_second = timings.prompt_ms > 0 ? timings.prompt_n / (timings.prompt_ms / 1000) : 0
  timings.predicted_per_second = timings.predicted_ms > 0 ? timings.predicted_n / (timings.predicted_ms / 1000) : 0
  return { usage, timings }
}
