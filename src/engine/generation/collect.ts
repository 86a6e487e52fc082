import type {
  ChatChunk,
  CompletionChunk,
  CompletionLogprobs,
  FinishReason,
  Timings,
  TokenLogprob,
  ToolCall,
  Usage,
} from '../types.js'

/** A whole chat completion, assembled from its chunks (object "chat.completion"). */
export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  system_fingerprint: string
  choices: {
    index: number
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: ToolCall[] }
    logprobs: { content: TokenLogprob[]; refusal: null } | null
    finish_reason: FinishReason
  }[]
  usage: Usage
  timings?: Timings | undefined
}

/** A whole text completion (object "text_completion"). */
export interface Completion {
  id: string
  object: 'text_completion'
  created: number
  model: string
  system_fingerprint: string
  choices: { index: number; text: string; logprobs: CompletionLogprobs | null; finish_reason: FinishReason }[]
  usage: Usage
  timings?: Timings | undefined
}

/** Assembles streamed chat chunks into one chat completion, merging tool-call deltas by index. */
export async function collectChat(chunks: AsyncIterable<ChatChunk>): Promise<ChatCompletion> {
  let head: ChatChunk | null = null
  let tail: ChatChunk | null = null
  const choices: ChatCompletion['choices'] = []
  for await (const chunk of chunks) {
    head ??= chunk
    tail = chunk
    for (const c of chunk.choices) {
      const choice = (choices[c.index] ??= {
        index: c.index,
        message: { role: 'assistant', content: null, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      })
      if (c.delta.content) choice.message.content = (choice.message.content ?? '') + c.delta.content
      for (const d of c.delta.tool_calls ?? []) {
        const calls = (choice.message.tool_calls ??= [])
        const call = (calls[d.index] ??= { id: d.id ?? '', type: 'function', function: { name: '', arguments: '' } })
        if (d.id) call.id = d.id
        if (d.function.name) call.function.name += d.function.name
        call.function.arguments += d.function.arguments ?? ''
      }
      if (c.logprobs) (choice.logprobs ??= { content: [], refusal: null }).content.push(...(c.logprobs.content ?? []))
      if (c.finish_reason) choice.finish_reason = c.finish_reason
    }
  }
  if (!head || !tail) throw new Error('Cannot assemble a chat completion: no chunks')
  for (const choice of choices)
    if (choice.message.tool_calls && choice.message.content === '') choice.message.content = null
  return {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    system_fingerprint: head.system_fingerprint,
    choices,
    usage: tail.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    timings: tail.timings,
  }
}

/** Assembles streamed completion chunks into one text completion. */
export async function collectCompletion(chunks: AsyncIterable<CompletionChunk>): Promise<Completion> {
  let head: CompletionChunk | null = null
  let tail: CompletionChunk | null = null
  const choices: Completion['choices'] = []
  for await (const chunk of chunks) {
    head ??= chunk
    tail = chunk
    for (const c of chunk.choices) {
      const choice = (choices[c.index] ??= { index: c.index, text: '', logprobs: null, finish_reason: 'stop' })
      choice.text += c.text
      if (c.logprobs) {
        const lp = (choice.logprobs ??= { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] })
        lp.tokens.push(...c.logprobs.tokens)
        lp.token_logprobs.push(...c.logprobs.token_logprobs)
        lp.top_logprobs.push(...c.logprobs.top_logprobs)
        lp.text_offset.push(...c.logprobs.text_offset)
      }
      if (c.finish_reason) choice.finish_reason = c.finish_reason
    }
  }
  if (!head || !tail) throw new Error('Cannot assemble a completion: no chunks')
  return {
    id: head.id,
    object: 'text_completion',
    created: head.created,
    model: head.model,
    system_fingerprint: head.system_fingerprint,
    choices,
    usage: tail.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    timings: tail.timings,
  }
}
