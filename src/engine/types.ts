import type { Lane, Slot } from './scheduler.js'

// The engine's request and event shapes: the engine's own contract, carrying only what the engine reads or writes.
// Wire formats (chat chunks, text completions, run deltas) are shaped from the events outside the engine.

/** A chat message as the engine takes it: content already flattened to text. */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool'
  content: string | null
  name?: string | undefined
  tool_calls?: ToolCall[] | undefined
  tool_call_id?: string | undefined
}

/** A function tool the model may call. */
export interface ToolDefinition {
  type: 'function'
  function: {
    name: string
    description?: string | undefined
    parameters?: Record<string, unknown> | undefined
    strict?: boolean | null | undefined
  }
}

/** Which tool, if any, the model must call. */
export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } }

/** A complete tool call. */
export interface ToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

/** How the output must be shaped. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema'
      json_schema: { name: string; schema?: Record<string, unknown> | undefined; strict?: boolean | null | undefined }
    }

/** Sampling and stopping settings shared by chat and text completion. */
export interface SamplingParams {
  max_tokens?: number | null | undefined
  temperature?: number | null | undefined
  top_p?: number | null | undefined
  top_k?: number | null | undefined
  min_p?: number | null | undefined
  seed?: number | null | undefined
  stop?: string | string[] | null | undefined
  presence_penalty?: number | null | undefined
  frequency_penalty?: number | null | undefined
  repeat_penalty?: number | null | undefined
  logit_bias?: Record<string, number> | null | undefined
  n?: number | null | undefined
  grammar?: string | undefined
  ignore_eos?: boolean | undefined
  /** llama.cpp: reuse the slot's cached prompt prefix (default true); benchmarks turn it off. */
  cache_prompt?: boolean | undefined
}

/** A chat completion request. */
export interface ChatRequest extends SamplingParams {
  messages: ChatMessage[]
  tools?: ToolDefinition[] | undefined
  tool_choice?: ToolChoice | undefined
  parallel_tool_calls?: boolean | undefined
  response_format?: ResponseFormat | undefined
  logprobs?: boolean | null | undefined
  top_logprobs?: number | null | undefined
}

/** A text completion request (one prompt; the API layer fans out prompt arrays). */
export interface CompletionRequest extends SamplingParams {
  prompt: string
  logprobs?: number | null | undefined
  response_format?: ResponseFormat | undefined
}

/** Token usage of one request. */
export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
}

/** Engine timings of one request (llama.cpp's). */
export interface Timings {
  prompt_n: number
  prompt_ms: number
  predicted_n: number
  predicted_ms: number
  prompt_per_second: number
  predicted_per_second: number
}

/** One token's log probability, OpenAI chat shape. */
export interface TokenLogprob {
  token: string
  logprob: number
  bytes: number[] | null
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[]
}

/** Why generation stopped. */
export type FinishReason = 'stop' | 'length' | 'tool_calls'

/** A piece of a choice's text, with the log probabilities of the tokens it came from when asked for. */
export interface TextEvent {
  type: 'text'
  choice: number
  text: string
  logprobs?: TokenLogprob[]
}

/** A piece of a tool call: `id` and `name` come with its first piece, `arguments` grow by concatenation. */
export interface ToolCallEvent {
  type: 'tool_call'
  choice: number
  /** Which call of the choice this piece belongs to (parallel calls count 0, 1, ...). */
  index: number
  id?: string
  name?: string
  arguments: string
  logprobs?: TokenLogprob[]
}

/** Log probabilities of tokens that produced no text or tool-call piece (a forced call's JSON punctuation). */
export interface LogprobsEvent {
  type: 'logprobs'
  choice: number
  logprobs: TokenLogprob[]
}

/** The end of one choice. */
export interface FinishEvent {
  type: 'finish'
  choice: number
  reason: FinishReason
}

/** The last event of a generation: usage and timings summed over its choices (the prompt counted once). */
export interface UsageEvent {
  type: 'usage'
  usage: Usage
  timings: Timings
}

/**
 * What the engine yields while it generates: pieces of each choice's output in order, one finish per choice, then
 * one usage event. `src/api/` and `src/runs/` shape every wire format from these.
 */
export type GenerationEvent = TextEvent | ToolCallEvent | LogprobsEvent | FinishEvent | UsageEvent

/** Per-call options: the abort signal, and where the work waits for an engine slot. */
export interface CallOptions {
  signal?: AbortSignal | undefined
  /** The scheduler lane to wait in (default interactive). */
  lane?: Lane | undefined
  /** A slot taken beforehand with Engine.reserve(): used instead of waiting, released by its holder (one request at a time). */
  slot?: Slot | undefined
}

/** What the engine reports as it works, for metrics; each call must be cheap and must not throw. */
export interface EngineObserver {
  /** A slot was granted in the lane after waiting this long, in seconds (0 when one was free). */
  slotGranted(lane: Lane, seconds: number): void
  /** A generation's first token came this long after it was asked for, in seconds (slot wait included). */
  firstToken(lane: Lane, seconds: number): void
  /** A generation or embedding finished with this usage; timings for generations, null for embeddings. */
  finished(lane: Lane, usage: Usage, timings: Timings | null): void
}
