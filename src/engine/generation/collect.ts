import { ToolCallAccumulator } from './tool-call-accumulator.js'
import type { FinishReason, GenerationEvent, Timings, TokenLogprob, ToolCall, Usage } from '../types.js'

/** One choice's whole output. */
export interface GeneratedChoice {
  text: string
  toolCalls: ToolCall[]
  logprobs: TokenLogprob[]
  finish: FinishReason
}

/** A whole generation: its choices by index, usage and timings. */
export interface Generation {
  choices: GeneratedChoice[]
  usage: Usage
  timings: Timings | undefined
}

/** Reads a generation's events to the end and assembles each choice's text, tool calls and logprobs. */
export async function collectGeneration(events: AsyncIterable<GenerationEvent>): Promise<Generation> {
  const parts: { text: string; calls: ToolCallAccumulator; logprobs: TokenLogprob[]; finish: FinishReason }[] = []
  const part = (choice: number) =>
    (parts[choice] ??= { text: '', calls: new ToolCallAccumulator(), logprobs: [], finish: 'stop' })
  let usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
  let timings: Timings | undefined
  for await (const event of events) {
    switch (event.type) {
      case 'text':
        part(event.choice).text += event.text
        if (event.logprobs) part(event.choice).logprobs.push(...event.logprobs)
        break
      case 'tool_call':
        part(event.choice).calls.add(event)
        if (event.logprobs) part(event.choice).logprobs.push(...event.logprobs)
        break
      case 'logprobs':
        part(event.choice).logprobs.push(...event.logprobs)
        break
      case 'finish':
        part(event.choice).finish = event.reason
        break
      case 'usage':
        usage = event.usage
        timings = event.timings
        break
      default:
        event satisfies never
    }
  }
  const choices = Array.from(parts, (p) => ({
    text: p?.text ?? '',
    toolCalls: p?.calls.calls ?? [],
    logprobs: p?.logprobs ?? [],
    finish: p?.finish ?? 'stop',
  }))
  return { choices, usage, timings }
}
