import type { Engine } from '../engine.js'
import { EngineError } from '../errors.js'
import { forcedCall, type ForcedCall } from './forced-call.js'
import { mergeAsync } from './merge.js'
import { observeGeneration } from './observe.js'
import { choiceCount, formatBody, samplingBody, topLogprobsCount } from './params.js'
import { readPieces, sumUsage } from './raw-chunks.js'
import type { ToolCallPiece } from './tool-call-accumulator.js'
import { flattenToolTurns, parseToolCalls, toolsPrompt } from './tool-calls.js'
import type {
  CallOptions,
  ChatMessage,
  ChatRequest,
  FinishReason,
  GenerationEvent,
  Timings,
  TokenLogprob,
  Usage,
} from '../types.js'

type ToolMode = 'none' | 'forced' | 'native' | 'prompted'
type End = { usage?: Usage | undefined; timings?: Timings | undefined }

/**
 * Runs a chat completion and streams its events: per choice its text or tool-call pieces and a finish, then one usage
 * event summed over the choices.
 */
export function chatCompletion(
  engine: Engine,
  request: ChatRequest,
  options: CallOptions = {},
): AsyncGenerator<GenerationEvent> {
  return observeGeneration(engine, options, chatEvents(engine, request, options))
}

async function* chatEvents(
  engine: Engine,
  request: ChatRequest,
  options: CallOptions,
): AsyncGenerator<GenerationEvent> {
  const n = choiceCount(request.n)
  const mode = toolMode(engine, request)
  const forced = mode === 'forced' ? forcedCall(request) : null
  const body = chatBody(engine, request, mode, forced)
  const ends: End[] = []
  const choices = Array.from({ length: n }, (_, index) =>
    choiceEvents(
      engine,
      index,
      { ...body, ...samplingBody(request, engine.model.nVocab, index) },
      { mode, forced, request, ends },
      options,
    ),
  )
  yield* mergeAsync(choices)
  yield { type: 'usage', ...sumUsage(ends) }
}

function toolMode(engine: Engine, request: ChatRequest): ToolMode {
  const tools = request.tools ?? []
  const choice = request.tool_choice ?? (tools.length ? 'auto' : 'none')
  if (choice !== 'none' && choice !== 'auto' && choice !== 'required' && typeof choice?.function?.name !== 'string') {
    throw new EngineError('invalid_request', "'tool_choice' must be none, auto, required or a function", 'tool_choice')
  }
  if (choice !== 'none' && tools.length === 0)
    throw new EngineError('invalid_request', `'tool_choice' ${JSON.stringify(choice)} needs 'tools'`, 'tool_choice')
  if (typeof choice === 'object' && !tools.some((t) => t.function.name === choice.function.name)) {
    throw new EngineError(
      'invalid_request',
      `'tool_choice' names '${choice.function.name}', which is not in 'tools'`,
      'tool_choice.function.name',
    )
  }
  if (choice === 'none' || tools.length === 0) return 'none'
  if (choice !== 'auto') return 'forced'
  return templateHasTools(engine) ? 'native' : 'prompted'
}

// A Jinja template that mentions tools renders them itself and llama.cpp parses the model's calls
function templateHasTools(engine: Engine): boolean {
  const template = engine.config.chatTemplate ?? engine.model.metadata['tokenizer.chat_template'] ?? ''
  return template.includes('{%') && /\btools\b/.test(template)
}

function chatBody(
  engine: Engine,
  request: ChatRequest,
  mode: ToolMode,
  forced: ForcedCall | null,
): Record<string, unknown> {
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    throw new EngineError('invalid_request', "'messages' must be a non-empty array", 'messages')
  const tools = request.tools ?? []
  let messages: ChatMessage[] = mode === 'native' ? request.messages : flattenToolTurns(request.messages)
  messages = messages.map((m) => ({ ...m, role: m.role === 'developer' ? 'system' : m.role, content: m.content ?? '' }))
  const body: Record<string, unknown> = {
    stream: true,
    stream_options: { include_usage: true },
    ...(request.logprobs ? { logprobs: true, top_logprobs: topLogprobsCount(request.top_logprobs) } : {}),
  }
  if (mode === 'native')
    return {
      ...body,
      messages,
      tools,
      tool_choice: 'auto',
      parallel_tool_calls: request.parallel_tool_calls ?? true,
      ...formatBody(request.response_format, request.grammar !== undefined),
    }
  if (mode === 'none')
    return { ...body, messages, ...formatBody(request.response_format, request.grammar !== undefined) }
  messages = withSystem(messages, toolsPrompt(tools, forced?.name ?? null))
  // a response_format wins over prompted tool calls: the grammar leaves no room for a call in another shape
  if (mode === 'prompted' || !forced)
    return { ...body, messages, ...formatBody(request.response_format, request.grammar !== undefined) }
  if (request.grammar !== undefined)
    throw new EngineError('invalid_request', "'grammar' cannot be used with a forced tool call", 'grammar')
  return { ...body, messages, ...forced.body }
}

function withSystem(messages: ChatMessage[], text: string): ChatMessage[] {
  const [first, ...rest] = messages
  if (first?.role === 'system') return [{ ...first, content: `${first.content ?? ''}\n\n${text}` }, ...rest]
  return [{ role: 'system', content: text }, ...messages]
}

interface ChoiceContext {
  mode: ToolMode
  forced: ForcedCall | null
  request: ChatRequest
  /** Where each choice leaves its usage and timings for the summed usage event. */
  ends: End[]
}

async function* choiceEvents(
  engine: Engine,
  index: number,
  body: Record<string, unknown>,
  { mode, forced, request, ends }: ChoiceContext,
  options: CallOptions,
): AsyncGenerator<GenerationEvent> {
  const pieces = readPieces(engine.run('completion', { is_chat: true, data_json: JSON.stringify(body) }, options))
  const streamer = forced?.streamer() ?? null
  let held: string | null = null // prompted mode: an answer that starts like JSON may be a tool call
  let finish: FinishReason | undefined
  const end: End = {}
  let tokens = 0
  for await (const piece of pieces) {
    finish = piece.finish ?? finish
    end.usage = piece.usage ?? end.usage
    end.timings = piece.timings ?? end.timings
    if (piece.text) tokens++
    if (streamer) {
      const calls = streamer.push(piece.text)
      if (calls.length) yield* toolCallEvents(index, calls, piece.logprobs)
      else if (piece.logprobs.length) yield { type: 'logprobs', choice: index, logprobs: piece.logprobs }
      continue
    }
    if (mode === 'prompted' && (held !== null || (piece.text.trim() && /^\s*[[{]/.test(piece.text)))) {
      held = (held ?? '') + piece.text
      continue
    }
    if (piece.toolCalls) yield* toolCallEvents(index, piece.toolCalls, piece.logprobs)
    else if (piece.text || piece.logprobs.length)
      yield { type: 'text', choice: index, text: piece.text, ...logprobsOf(piece.logprobs) }
  }
  ends[index] = end
  finish ??= request.max_tokens != null && tokens >= request.max_tokens ? 'length' : 'stop'
  if (held !== null) {
    const calls = parseToolCalls(held, request.tools ?? [])
    if (calls) {
      const whole = calls.map((c, i) => ({
        index: i,
        id: c.id,
        name: c.function.name,
        arguments: c.function.arguments,
      }))
      yield* toolCallEvents(index, whole, [])
      if (finish === 'stop') finish = 'tool_calls'
    } else {
      yield { type: 'text', choice: index, text: held }
    }
  }
  if (streamer && streamer.count > 0 && finish === 'stop') finish = 'tool_calls'
  yield { type: 'finish', choice: index, reason: finish }
}

// a token's logprobs go with the first piece it produced
function* toolCallEvents(choice: number, calls: ToolCallPiece[], logprobs: TokenLogprob[]): Generator<GenerationEvent> {
  for (const [i, call] of calls.entries())
    yield { type: 'tool_call', choice, ...call, ...(i === 0 ? logprobsOf(logprobs) : {}) }
}

function logprobsOf(logprobs: TokenLogprob[]): { logprobs?: TokenLogprob[] } {
  return logprobs.length ? { logprobs } : {}
}

/**
 * The prompt tokens a chat request would read, counted with the tokenizer over the prompt as the engine renders it,
 * without running the model. Null when the engine's template is not chatml (llama.cpp's default and the one this
 * rendering copies, `CHATML_TEMPLATE_SRC` in common/chat.cpp) or the last message is an assistant prefill.
 */
export function countChatPrompt(engine: Engine, request: ChatRequest): number | null {
  const metadata = engine.model.metadata
  const hasOwnTemplate = Object.keys(metadata).some((key) => key.startsWith('tokenizer.chat_template'))
  const template = engine.config.chatTemplate ?? (hasOwnTemplate ? null : 'chatml')
  if (template !== 'chatml') return null
  const mode = toolMode(engine, request)
  const body = chatBody(engine, request, mode, mode === 'forced' ? forcedCall(request) : null)
  const messages = body.messages as ChatMessage[]
  if (messages.at(-1)?.role === 'assistant') return null
  const turns = messages.map((m) => `<|im_start|>${m.role}\n${m.content ?? ''}<|im_end|>\n`).join('')
  return engine.tokenizer.tokenize(`${turns}<|im_start|>assistant\n`, { addSpecial: true, parseSpecial: true }).length
}
