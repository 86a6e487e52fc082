import { randomBytes } from 'node:crypto'
import type { Engine } from '../engine.js'
import { EngineError } from '../errors.js'
import { mergeAsync } from './merge.js'
import { choiceCount, formatBody, samplingBody } from './params.js'
import { readPieces, sumUsage, type Piece } from './raw-chunks.js'
import { flattenToolTurns, parseToolCalls, ToolCallStreamer, toolCallSchema, toolsPrompt } from './tool-calls.js'
import type {
  CallOptions,
  ChatChunk,
  ChatMessage,
  ChatRequest,
  FinishReason,
  Timings,
  ToolCallDelta,
  Usage,
} from '../types.js'

type ToolMode = 'none' | 'forced' | 'native' | 'prompted'
type ChoiceEvent = {
  index: number
  piece?: Piece
  delta?: ChatChunk['choices'][number]['delta']
  end?: { finish: FinishReason; usage?: Usage | undefined; timings?: Timings | undefined }
}

/** Options for a chat call: the model name to report and an abort signal. */
export interface ChatOptions extends CallOptions {
  model: string
}

/**
 * Runs a chat completion and streams OpenAI-shaped chunks: per choice a role chunk, content or tool-call deltas and
 * a finish chunk; then one last chunk with `choices: []`, usage and timings.
 */
export async function* chatCompletion(
  engine: Engine,
  request: ChatRequest,
  options: ChatOptions,
): AsyncGenerator<ChatChunk> {
  const n = choiceCount(request.n)
  const mode = toolMode(engine, request)
  const body = chatBody(engine, request, mode)
  const base = {
    id: `chatcmpl-${randomBytes(12).toString('base64url')}`,
    object: 'chat.completion.chunk' as const,
    created: Math.floor(Date.now() / 1000),
    model: options.model,
    system_fingerprint: `fp_oxillama_${engine.build}`,
  }
  const ends: { usage?: Usage | undefined; timings?: Timings | undefined }[] = []
  const choices = Array.from({ length: n }, (_, index) =>
    choiceEvents(
      engine,
      index,
      { ...body, ...samplingBody(request, engine.model.nVocab, index) },
      mode,
      request,
      options,
    ),
  )
  for await (const event of mergeAsync(choices)) {
    if (event.end) ends[event.index] = event.end
    const logprobs = request.logprobs ? { content: event.piece?.logprobs ?? [], refusal: null } : null
    yield {
      ...base,
      choices: [{ index: event.index, delta: event.delta ?? {}, logprobs, finish_reason: event.end?.finish ?? null }],
    }
  }
  yield { ...base, choices: [], ...sumUsage(ends) }
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

function chatBody(engine: Engine, request: ChatRequest, mode: ToolMode): Record<string, unknown> {
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    throw new EngineError('invalid_request', "'messages' must be a non-empty array", 'messages')
  const tools = request.tools ?? []
  let messages: ChatMessage[] = mode === 'native' ? request.messages : flattenToolTurns(request.messages)
  messages = messages.map((m) => ({ ...m, role: m.role === 'developer' ? 'system' : m.role, content: m.content ?? '' }))
  const body: Record<string, unknown> = {
    stream: true,
    stream_options: { include_usage: true },
    ...(request.logprobs ? { logprobs: true, top_logprobs: request.top_logprobs ?? 0 } : {}),
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
  const choice = request.tool_choice ?? 'auto'
  const forced = typeof choice === 'object' ? choice.function.name : null
  messages = withSystem(messages, toolsPrompt(tools, forced))
  // a response_format wins over prompted tool calls: the grammar leaves no room for a call in another shape
  if (mode === 'prompted')
    return { ...body, messages, ...formatBody(request.response_format, request.grammar !== undefined) }
  return { ...body, messages, json_schema: toolCallSchema(tools, choice, request.parallel_tool_calls === true) }
}

function withSystem(messages: ChatMessage[], text: string): ChatMessage[] {
  const [first, ...rest] = messages
  if (first?.role === 'system') return [{ ...first, content: `${first.content ?? ''}\n\n${text}` }, ...rest]
  return [{ role: 'system', content: text }, ...messages]
}

async function* choiceEvents(
  engine: Engine,
  index: number,
  body: Record<string, unknown>,
  mode: ToolMode,
  request: ChatRequest,
  options: CallOptions,
): AsyncGenerator<ChoiceEvent> {
  const pieces = readPieces(engine.run('completion', { is_chat: true, data_json: JSON.stringify(body) }, options))
  yield { index, delta: { role: 'assistant', content: '' } }
  const streamer = mode === 'forced' ? new ToolCallStreamer() : null
  let held: string | null = null // prompted mode: an answer that starts like JSON may be a tool call
  let finish: FinishReason | undefined
  let usage: Usage | undefined
  let timings: Timings | undefined
  let tokens = 0
  for await (const piece of pieces) {
    finish = piece.finish ?? finish
    usage = piece.usage ?? usage
    timings = piece.timings ?? timings
    if (piece.text) tokens++
    if (streamer) {
      const calls = streamer.push(piece.text)
      if (calls.length || piece.logprobs.length)
        yield { index, piece, delta: calls.length ? { tool_calls: calls } : {} }
      continue
    }
    if (mode === 'prompted' && (held !== null || (piece.text.trim() && /^\s*[[{]/.test(piece.text)))) {
      held = (held ?? '') + piece.text
      continue
    }
    if (piece.text || piece.toolCalls || piece.logprobs.length) {
      const delta: ChoiceEvent['delta'] = piece.toolCalls ? { tool_calls: piece.toolCalls } : { content: piece.text }
      yield { index, piece, delta }
    }
  }
  finish ??= request.max_tokens != null && tokens >= request.max_tokens ? 'length' : 'stop'
  if (held !== null) {
    const calls = parseToolCalls(held, request.tools ?? [])
    if (calls) {
      const deltas: ToolCallDelta[] = calls.map((c, i) => ({
        index: i,
        id: c.id,
        type: 'function',
        function: { name: c.function.name, arguments: c.function.arguments },
      }))
      yield { index, delta: { tool_calls: deltas } }
      if (finish === 'stop') finish = 'tool_calls'
    } else {
      yield { index, delta: { content: held } }
    }
  }
  if (streamer && streamer.calls.length > 0 && finish === 'stop') finish = 'tool_calls'
  yield { index, end: { finish, usage, timings } }
}
