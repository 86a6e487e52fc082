import { collectGeneration } from '../engine/generation/collect.js'
import type { FinishReason, GenerationEvent, TokenLogprob } from '../engine/types.js'
import type { Completion, CompletionChunk, CompletionFinishReason, CompletionLogprobs } from '../schemas/completions.js'
import { withObject, type ReplyHead } from './reply-head.js'

/** How a text completion request shapes its reply. */
export interface CompletionReplyOptions {
  /** The prompts, in order: choice `i` continues `prompts[Math.floor(i / n)]`. */
  prompts: string[]
  n: number
  /** Put the prompt before each choice's text. */
  echo: boolean
  /** The legacy `logprobs`: how many candidates to list per token, or null for no logprobs. */
  topN: number | null
}

/**
 * Shapes a text generation's events as `text_completion` chunks: one per text piece and finish, the prompt before a
 * choice's first piece with `echo`, and last a chunk with `choices: []`, the usage and the timings.
 */
export async function* completionChunks(
  events: AsyncIterable<GenerationEvent>,
  head: ReplyHead,
  options: CompletionReplyOptions,
): AsyncGenerator<CompletionChunk> {
  const base = withObject(head, 'text_completion')
  const echoed = new Set<number>()
  const offsets: number[] = []
  const chunk = (index: number, text: string, tokens: TokenLogprob[], finish: CompletionFinishReason | null) => {
    const prompt = promptOf(options, index)
    const echo = options.echo && !echoed.has(index) ? (echoed.add(index), prompt) : ''
    const offset = offsets[index] ?? prompt.length
    offsets[index] = offset + tokens.reduce((sum, t) => sum + t.token.length, 0)
    const logprobs = options.topN === null ? null : legacyLogprobs(tokens, options.topN, offset)
    return { ...base, choices: [{ index, text: echo + text, logprobs, finish_reason: finish }] }
  }
  for await (const event of events) {
    switch (event.type) {
      case 'text':
        yield chunk(event.choice, event.text, event.logprobs ?? [], null)
        break
      case 'logprobs':
        yield chunk(event.choice, '', event.logprobs, null)
        break
      case 'finish':
        yield chunk(event.choice, '', [], textFinish(event.reason))
        break
      case 'usage':
        yield { ...base, choices: [], usage: event.usage, timings: event.timings }
        break
      case 'tool_call': // text completions make no tool calls
        break
      default:
        event satisfies never
    }
  }
}

/** Reads a text generation to its end and shapes it as one `text_completion`. */
export async function collectCompletion(
  events: AsyncIterable<GenerationEvent>,
  head: ReplyHead,
  options: CompletionReplyOptions,
): Promise<Completion> {
  const generation = await collectGeneration(events)
  const choices = generation.choices.map((choice, index) => {
    const prompt = promptOf(options, index)
    return {
      index,
      text: (options.echo ? prompt : '') + choice.text,
      logprobs: options.topN === null ? null : legacyLogprobs(choice.logprobs, options.topN, prompt.length),
      finish_reason: textFinish(choice.finish),
    }
  })
  return {
    ...withObject(head, 'text_completion'),
    choices,
    usage: generation.usage,
    ...(generation.timings ? { timings: generation.timings } : {}),
  }
}

function promptOf(options: CompletionReplyOptions, index: number): string {
  return options.prompts[Math.floor(index / options.n)] ?? ''
}

// a text completion never calls tools
function textFinish(reason: FinishReason): CompletionFinishReason {
  return reason === 'tool_calls' ? 'stop' : reason
}

/** Token logprobs in the legacy completions shape; `text_offset` counts from `offset`. */
function legacyLogprobs(items: TokenLogprob[], topN: number, offset: number): CompletionLogprobs {
  const out: Required<CompletionLogprobs> = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] }
  for (const item of items) {
    out.tokens.push(item.token)
    out.token_logprobs.push(item.logprob)
    out.top_logprobs.push(Object.fromEntries(item.top_logprobs.slice(0, topN).map((t) => [t.token, t.logprob])))
    out.text_offset.push(offset)
    offset += item.token.length
  }
  return out
}
