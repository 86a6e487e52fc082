import type { ReasoningEvent } from '../engine/generation/reasoning.js'
import type { GenerationEvent, TokenLogprob, Timings, Usage } from '../engine/types.js'
import type {
  Response,
  ResponseLogprob,
  ResponseOutputFunctionCall,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseOutputReasoning,
  ResponseOutputText,
  ResponseReasoningText,
  ResponseUsage,
} from '../schemas/responses.js'
import type { UnnumberedEvent } from '../schemas/responses-stream.js'
import { newId } from '../store/ids.js'

type Text = ResponseOutputText

/** One Responses stream event before its `sequence_number` (added where the events are framed). */
export type ResponseStreamEvent = UnnumberedEvent

/** Terminal events: the last of every stream. */
export function isTerminal(
  event: ResponseStreamEvent,
): event is Extract<ResponseStreamEvent, { type: 'response.completed' | 'response.incomplete' }> {
  return event.type === 'response.completed' || event.type === 'response.incomplete'
}

type Open =
  | { kind: 'reasoning'; index: number; item: ResponseOutputReasoning; part: ResponseReasoningText }
  | { kind: 'message'; index: number; item: ResponseOutputMessage; part: Text }
  | { kind: 'call'; index: number; call: number; item: ResponseOutputFunctionCall }

/**
 * Shapes one chat generation (choice 0) as the Responses event sequence: `response.created`, `response.in_progress`,
 * then each output item opened, grown by deltas and closed in turn (a reasoning item first when the model reasoned),
 * and last `response.completed` (or `response.incomplete` when the token cap stopped it) with the whole response.
 * `draft` is the in-progress response.
 */
export async function* responseEvents(
  events: AsyncIterable<GenerationEvent | ReasoningEvent>,
  draft: Response,
  options: { logprobs: boolean },
): AsyncGenerator<ResponseStreamEvent> {
  yield { type: 'response.created', response: draft }
  yield { type: 'response.in_progress', response: draft }
  const output: ResponseOutputItem[] = []
  let open: Open | null = null
  let status: 'completed' | 'incomplete' = 'completed'
  let usage: Usage | null = null
  let timings: Timings | null = null
  let reasoningTokens = 0

  function* close(): Generator<ResponseStreamEvent> {
    if (!open) return
    const ref = { item_id: open.item.id, output_index: open.index }
    if (open.kind === 'reasoning') {
      yield { type: 'response.reasoning_text.done', ...ref, content_index: 0, text: open.part.text }
      yield { type: 'response.content_part.done', ...ref, content_index: 0, part: open.part }
      open.item.content = [open.part]
    } else if (open.kind === 'message') {
      const logprobs = open.part.logprobs ?? []
      yield { type: 'response.output_text.done', ...ref, content_index: 0, text: open.part.text, logprobs }
      yield { type: 'response.content_part.done', ...ref, content_index: 0, part: open.part }
      open.item.content = [open.part]
    } else {
      const { name, arguments: args } = open.item
      yield { type: 'response.function_call_arguments.done', ...ref, name, arguments: args }
    }
    open.item.status = status
    output[open.index] = open.item
    yield { type: 'response.output_item.done', output_index: open.index, item: open.item }
    open = null
  }

  // a reasoning or message item opens with its first (empty) content part
  function* announce(next: Extract<Open, { kind: 'reasoning' | 'message' }>): Generator<ResponseStreamEvent> {
    output.push(next.item)
    const ref = { item_id: next.item.id, output_index: next.index }
    yield { type: 'response.output_item.added', output_index: next.index, item: { ...next.item, content: [] } }
    yield { type: 'response.content_part.added', ...ref, content_index: 0, part: { ...next.part } }
  }

  for await (const event of events) {
    if ('choice' in event && event.choice !== 0) continue
    switch (event.type) {
      case 'reasoning': {
        reasoningTokens += event.tokens
        if (open?.kind !== 'reasoning') {
          yield* close()
          const item: ResponseOutputReasoning = {
            type: 'reasoning',
            id: newId('rs'),
            summary: [],
            content: [],
            status: 'in_progress',
          }
          const part: ResponseReasoningText = { type: 'reasoning_text', text: '' }
          open = { kind: 'reasoning', index: output.length, item, part }
          yield* announce(open)
        }
        open.part.text += event.text
        if (event.text !== '')
          yield {
            type: 'response.reasoning_text.delta',
            item_id: open.item.id,
            output_index: open.index,
            content_index: 0,
            delta: event.text,
          }
        break
      }
      case 'text': {
        if (open?.kind !== 'message') {
          yield* close()
          const item: ResponseOutputMessage = {
            id: newId('msg'),
            type: 'message',
            role: 'assistant',
            status: 'in_progress',
            content: [],
          }
          const part: Text = {
            type: 'output_text',
            text: '',
            annotations: [],
            ...(options.logprobs ? { logprobs: [] } : {}),
          }
          open = { kind: 'message', index: output.length, item, part }
          yield* announce(open)
        }
        const logprobs = (event.logprobs ?? []).map(toLogprob)
        open.part.text += event.text
        if (options.logprobs) open.part.logprobs?.push(...logprobs)
        if (event.text !== '')
          yield {
            type: 'response.output_text.delta',
            item_id: open.item.id,
            output_index: open.index,
            content_index: 0,
            delta: event.text,
            logprobs,
          }
        break
      }
      case 'tool_call': {
        if (open?.kind !== 'call' || open.call !== event.index) {
          yield* close()
          const item: ResponseOutputFunctionCall = {
            type: 'function_call',
            id: newId('fc'),
            call_id: event.id ?? newId('call'),
            name: event.name ?? '',
            arguments: '',
            status: 'in_progress',
          }
          open = { kind: 'call', index: output.length, call: event.index, item }
          output.push(item)
          yield { type: 'response.output_item.added', output_index: open.index, item: { ...item } }
        }
        open.item.arguments += event.arguments
        if (event.arguments !== '')
          yield {
            type: 'response.function_call_arguments.delta',
            item_id: open.item.id,
            output_index: open.index,
            delta: event.arguments,
          }
        break
      }
      case 'logprobs':
        if (options.logprobs && open?.kind === 'message') open.part.logprobs?.push(...event.logprobs.map(toLogprob))
        break
      case 'finish':
        if (event.reason === 'length') status = 'incomplete'
        yield* close()
        break
      case 'usage':
        usage = event.usage
        timings = event.timings
        break
      default:
        event satisfies never
    }
  }
  yield* close()
  const response: Response = {
    ...draft,
    status,
    completed_at: status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    output,
    ...(usage ? { usage: responseUsage(usage, timings, reasoningTokens) } : {}),
  }
  yield { type: status === 'completed' ? 'response.completed' : 'response.incomplete', response }
}

/** The engine's usage in the Responses shape; prompt tokens the slot did not have to process count as cached. */
function responseUsage(usage: Usage, timings: Timings | null, reasoningTokens: number): ResponseUsage {
  const processed = timings?.prompt_n ?? usage.prompt_tokens
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: Math.max(0, usage.prompt_tokens - processed), cache_write_tokens: 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: Math.min(reasoningTokens, usage.completion_tokens) },
    total_tokens: usage.total_tokens,
  }
}

function toLogprob(logprob: TokenLogprob): ResponseLogprob {
  return {
    token: logprob.token,
    logprob: logprob.logprob,
    bytes: logprob.bytes ?? [],
    top_logprobs: logprob.top_logprobs.map((top) => ({
      token: top.token,
      logprob: top.logprob,
      bytes: top.bytes ?? [],
    })),
  }
}

/**
 * The event sequence of a finished response, rebuilt from the stored object for `GET ?stream=true`: each item's
 * text or arguments come as one delta (the original deltas are not kept).
 */
export function* replayEvents(response: Response): Generator<ResponseStreamEvent> {
  const opening: Response = {
    ...response,
    status: 'in_progress',
    output: [],
    completed_at: null,
    incomplete_details: null,
  }
  delete opening.usage
  yield { type: 'response.created', response: opening }
  yield { type: 'response.in_progress', response: opening }
  for (const [index, item] of response.output.entries()) {
    const ref = { item_id: item.id, output_index: index }
    if (item.type === 'reasoning') {
      yield {
        type: 'response.output_item.added',
        output_index: index,
        item: { ...item, status: 'in_progress', content: [] },
      }
      for (const [contentIndex, part] of item.content.entries()) {
        yield { type: 'response.content_part.added', ...ref, content_index: contentIndex, part: { ...part, text: '' } }
        if (part.text !== '')
          yield { type: 'response.reasoning_text.delta', ...ref, content_index: contentIndex, delta: part.text }
        yield { type: 'response.reasoning_text.done', ...ref, content_index: contentIndex, text: part.text }
        yield { type: 'response.content_part.done', ...ref, content_index: contentIndex, part }
      }
    } else if (item.type === 'message') {
      yield {
        type: 'response.output_item.added',
        output_index: index,
        item: { ...item, status: 'in_progress', content: [] },
      }
      for (const [contentIndex, part] of item.content.entries()) {
        if (part.type !== 'output_text') continue
        const logprobs = part.logprobs ?? []
        yield { type: 'response.content_part.added', ...ref, content_index: contentIndex, part: { ...part, text: '' } }
        if (part.text !== '')
          yield { type: 'response.output_text.delta', ...ref, content_index: contentIndex, delta: part.text, logprobs }
        yield { type: 'response.output_text.done', ...ref, content_index: contentIndex, text: part.text, logprobs }
        yield { type: 'response.content_part.done', ...ref, content_index: contentIndex, part }
      }
    } else {
      yield {
        type: 'response.output_item.added',
        output_index: index,
        item: { ...item, status: 'in_progress', arguments: '' },
      }
      if (item.arguments !== '') yield { type: 'response.function_call_arguments.delta', ...ref, delta: item.arguments }
      yield { type: 'response.function_call_arguments.done', ...ref, name: item.name, arguments: item.arguments }
    }
    yield { type: 'response.output_item.done', output_index: index, item }
  }
  yield { type: response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response }
}
