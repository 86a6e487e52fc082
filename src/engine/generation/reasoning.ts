import type { Engine } from '../engine.js'
import type { GenerationEvent, TokenLogprob } from '../types.js'

const OPEN = '<think>'
const CLOSE = '</think>'

/**
 * A piece of a choice's reasoning: text the model wrote between `<think>` and `</think>` at the start of its output.
 * `tokens` counts the engine text events (one per sampled token: llama.cpp streams a chunk per token) that went into
 * the reasoning, its tags included; a piece can hold no text (a lone tag token).
 */
export interface ReasoningEvent {
  type: 'reasoning'
  choice: number
  text: string
  tokens: number
}

type State = 'start' | 'reasoning' | 'answer'

/**
 * Splits one choice's streamed text into reasoning and answer. Reasoning is what sits between `<think>` and `</think>`
 * at the start of the output (whitespace before `<think>` allowed); with `forcedOpen` (the prompt already ends with
 * `<think>`) the output is reasoning from its first character. Tags may arrive split across pieces: text that could
 * still become a tag is held until it does or cannot. Whitespace right after `</think>` is dropped.
 */
export class ReasoningSplitter {
  private state: State
  private held = ''
  private trimming = false // past `</think>`, before the answer's first non-space

  constructor(forcedOpen: boolean) {
    this.state = forcedOpen ? 'reasoning' : 'start'
  }

  /** Feeds one piece; returns what of it (and of held text) is now known to be reasoning or answer. */
  push(text: string): { reasoning: string; answer: string; inReasoning: boolean } {
    let input = this.held + text
    this.held = ''
    let reasoning = ''
    let answer = ''
    let inReasoning = this.state === 'reasoning'
    if (this.state === 'start') {
      const trimmed = input.trimStart()
      if (trimmed.startsWith(OPEN)) {
        this.state = 'reasoning'
        inReasoning = true
        input = trimmed.slice(OPEN.length)
      } else if (OPEN.startsWith(trimmed)) {
        this.held = input
        return { reasoning, answer, inReasoning }
      } else {
        this.state = 'answer'
      }
    }
    if (this.state === 'reasoning') {
      const end = input.indexOf(CLOSE)
      if (end < 0) {
        const keep = partialSuffix(input, CLOSE)
        this.held = input.slice(input.length - keep)
        return { reasoning: input.slice(0, input.length - keep), answer, inReasoning }
      }
      reasoning = input.slice(0, end)
      input = input.slice(end + CLOSE.length).trimStart()
      this.state = 'answer'
      // whitespace after the tag may come in the next pieces: drop it until the answer starts
      if (input === '') {
        this.held = ''
        this.trimming = true
        return { reasoning, answer, inReasoning }
      }
    }
    if (this.trimming) {
      input = input.trimStart()
      if (input === '') return { reasoning, answer, inReasoning }
      this.trimming = false
    }
    answer = input
    return { reasoning, answer, inReasoning }
  }

  /** At the choice's end: held text becomes reasoning (an unterminated reasoning) or answer. */
  flush(): { reasoning: string; answer: string } {
    const held = this.held
    this.held = ''
    return this.state === 'reasoning' ? { reasoning: held, answer: '' } : { reasoning: '', answer: held }
  }
}

/** How many characters at the end of `text` could start `tag` (the longest proper prefix of it `text` ends with). */
function partialSuffix(text: string, tag: string): number {
  for (let n = Math.min(text.length, tag.length - 1); n > 0; n--) if (text.endsWith(tag.slice(0, n))) return n
  return 0
}

/**
 * Turns a generation's text events into reasoning events and answer text events, per choice. An answer piece keeps
 * the log probabilities of the events its text came from (held text's included); a reasoning piece's are dropped.
 */
export async function* splitReasoning(
  events: AsyncIterable<GenerationEvent>,
  forcedOpen: boolean,
): AsyncGenerator<GenerationEvent | ReasoningEvent> {
  const splitters = new Map<number, ReasoningSplitter>()
  const heldLogprobs = new Map<number, TokenLogprob[]>()
  const splitterOf = (choice: number) => {
    let splitter = splitters.get(choice)
    if (!splitter) splitters.set(choice, (splitter = new ReasoningSplitter(forcedOpen)))
    return splitter
  }
  const answerEvent = (choice: number, text: string, own: TokenLogprob[]): GenerationEvent => {
    const logprobs = [...(heldLogprobs.get(choice) ?? []), ...own]
    heldLogprobs.delete(choice)
    return { type: 'text', choice, text, ...(logprobs.length ? { logprobs } : {}) }
  }
  for await (const event of events) {
    if (event.type === 'text') {
      const { reasoning, answer, inReasoning } = splitterOf(event.choice).push(event.text)
      const own = inReasoning ? [] : (event.logprobs ?? [])
      if (inReasoning) {
        heldLogprobs.delete(event.choice)
        yield { type: 'reasoning', choice: event.choice, text: reasoning, tokens: event.text === '' ? 0 : 1 }
      }
      if (answer !== '') yield answerEvent(event.choice, answer, own)
      else if (event.text === '' && own.length)
        yield event // log probabilities of a piece with no text
      else if (own.length) heldLogprobs.set(event.choice, [...(heldLogprobs.get(event.choice) ?? []), ...own])
      continue
    }
    if (event.type === 'finish' || event.type === 'tool_call') {
      const { choice } = event
      const { reasoning, answer } = splitterOf(choice).flush()
      if (reasoning !== '') yield { type: 'reasoning', choice, text: reasoning, tokens: 0 }
      if (answer !== '') yield answerEvent(choice, answer, [])
    }
    yield event
  }
}

/**
 * Whether the engine's chat template opens a reasoning block in its generation prompt (llama-server's "thinking
 * forced open"): the block the template renders under `add_generation_prompt` writes `<think>` and does not close it.
 * Read from the template source, not a rendering: the text from the last `add_generation_prompt` to the `endif` after
 * it must hold a `<think>` after its last `</think>`.
 */
export function promptOpensThinking(engine: Engine): boolean {
  const template = engine.config.chatTemplate ?? engine.model.metadata['tokenizer.chat_template'] ?? ''
  return templateOpensThinking(typeof template === 'string' ? template : '')
}

export function templateOpensThinking(template: string): boolean {
  const start = template.lastIndexOf('add_generation_prompt')
  if (start < 0) return false
  const end = template.indexOf('endif', start)
  const block = template.slice(start, end < 0 ? undefined : end)
  return block.lastIndexOf(OPEN) > block.lastIndexOf(CLOSE)
}
