import type { ResponseOutputItem } from '../schemas/responses.js'
import type { ResponseStreamEvent } from '../schemas/responses-stream.js'
import type { ResponseStreamEvent as Unnumbered } from './responses-reply.js'

/**
 * The numbered events of one background response while this process runs it: readers replay them from any
 * `sequence_number` and then follow new ones until the log ends. It also keeps the output as the events have built
 * it so far, which the runner stores while the response is in progress.
 */
export class ResponseEventLog {
  readonly #events: ResponseStreamEvent[]
  #output: ResponseOutputItem[] = []
  #ended = false
  #wake: (() => void)[] = []

  /** Starts from events already stored (the opening ones, or those of a response resumed after a restart). */
  constructor(stored: ResponseStreamEvent[] = []) {
    this.#events = [...stored]
    for (const event of stored) applyToOutput(this.#output, event)
  }

  /** How many events the log holds: the next one's sequence number. */
  get length(): number {
    return this.#events.length
  }

  /** The output the events built so far (items in progress included). */
  get output(): ResponseOutputItem[] {
    return structuredClone(this.#output)
  }

  /** The events from `from` (an index) on. */
  slice(from: number): ResponseStreamEvent[] {
    return this.#events.slice(from)
  }

  /** Numbers an event without adding it (the terminal one is stored before it is published). */
  number(event: Unnumbered): ResponseStreamEvent {
    return { ...event, sequence_number: this.#events.length } as ResponseStreamEvent
  }

  /** Adds a numbered event and wakes the readers. */
  push(event: ResponseStreamEvent): void {
    if (this.#ended) return
    this.#events.push(event)
    applyToOutput(this.#output, event)
    for (const wake of this.#wake.splice(0)) wake()
  }

  /** No more events: readers finish once they have read what is there. */
  end(): void {
    this.#ended = true
    for (const wake of this.#wake.splice(0)) wake()
  }

  /** The events after `after` (a sequence number; -1 for all), then each new one until the log ends. */
  async *follow(after: number): AsyncGenerator<ResponseStreamEvent> {
    for (let next = after + 1; ;) {
      while (next < this.#events.length) yield this.#events[next++] as ResponseStreamEvent
      if (this.#ended) return
      await new Promise<void>((resolve) => this.#wake.push(resolve))
    }
  }
}

// The output as ResponseStream would merge it: items added, text and arguments grown by deltas, items replaced when done
function applyToOutput(output: ResponseOutputItem[], event: ResponseStreamEvent): void {
  switch (event.type) {
    case 'response.output_item.added':
    case 'response.output_item.done':
      output[event.output_index] = structuredClone(event.item)
      break
    case 'response.content_part.added': {
      const item = output[event.output_index]
      if (item?.type === 'message' && event.part.type === 'output_text')
        item.content[event.content_index] = { ...event.part }
      if (item?.type === 'reasoning' && event.part.type === 'reasoning_text')
        item.content[event.content_index] = { ...event.part }
      break
    }
    case 'response.reasoning_text.delta': {
      const item = output[event.output_index]
      const part = item?.type === 'reasoning' ? item.content[event.content_index] : undefined
      if (part) part.text += event.delta
      break
    }
    case 'response.output_text.delta': {
      const item = output[event.output_index]
      const part = item?.type === 'message' ? item.content[event.content_index] : undefined
      if (part?.type === 'output_text') part.text += event.delta
      break
    }
    case 'response.function_call_arguments.delta': {
      const item = output[event.output_index]
      if (item?.type === 'function_call') item.arguments += event.delta
      break
    }
    default:
      break
  }
}
