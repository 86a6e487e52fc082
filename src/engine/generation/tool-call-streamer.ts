import type { ToolCallPiece } from './tool-call-accumulator.js'
import { toolCallId } from './tool-calls.js'

/** Turns a forced call's grammar-constrained JSON, fed as it streams, into tool-call pieces. */
export interface CallStreamer {
  /** Feeds generated text; returns the pieces it completes: id and name first, then `arguments` fragments. */
  push(text: string): ToolCallPiece[]
  /** How many calls have started. */
  readonly count: number
}

/**
 * Streams argument objects of one known function: the text is one object, or an array of objects for parallel calls,
 * each of which becomes a call. Whitespace between objects is dropped.
 */
export class ArgumentsStreamer implements CallStreamer {
  readonly #name: string
  #depth = 0
  #inString = false
  #escape = false
  #index = -1
  #args = ''
  #sent = -1 // characters of #args sent; -1 before the call's header

  constructor(name: string) {
    this.#name = name
  }

  get count(): number {
    return this.#index + 1
  }

  push(text: string): ToolCallPiece[] {
    const out: ToolCallPiece[] = []
    for (const ch of text) {
      if (this.#depth === 0) {
        if (ch !== '{') continue // '[', ',', ']' and whitespace around the argument objects
        this.#flush(out)
        this.#index++
        this.#args = ''
        this.#sent = -1
      }
      this.#args += ch
      if (this.#inString) {
        if (this.#escape) this.#escape = false
        else if (ch === '\\') this.#escape = true
        else if (ch === '"') this.#inString = false
      } else if (ch === '"') this.#inString = true
      else if (ch === '{' || ch === '[') this.#depth++
      else if (ch === '}' || ch === ']') this.#depth--
    }
    this.#flush(out)
    return out
  }

  #flush(out: ToolCallPiece[]): void {
    if (this.#index < 0) return
    if (this.#sent < 0) {
      out.push({ index: this.#index, id: toolCallId(), name: this.#name, arguments: '' })
      this.#sent = 0
    }
    if (this.#args.length === this.#sent) return
    out.push({ index: this.#index, arguments: this.#args.slice(this.#sent) })
    this.#sent = this.#args.length
  }
}

/** Streams `{"name": ..., "arguments": ...}` objects, or an array of them for parallel calls. */
export class NamedCallStreamer implements CallStreamer {
  #depth = 0
  #callDepth = 0 // depth inside one call object: 1 for an object, 2 inside an array
  #inString = false
  #escape = false
  #index = -1
  #key = ''
  #keyDone = false
  #valueKey: string | null = null // the key whose value is being read at call level
  #name = ''
  #headerSent = false
  #args = ''
  #argsSent = 0

  get count(): number {
    return this.#index + 1
  }

  push(text: string): ToolCallPiece[] {
    const out: ToolCallPiece[] = []
    for (const ch of text) this.#step(ch, out)
    this.#flushArgs(out)
    return out
  }

  #step(ch: string, out: ToolCallPiece[]): void {
    if (this.#callDepth === 0) {
      if (ch === '[') {
        this.#callDepth = 2
        this.#depth = 1
        return
      }
      if (ch !== '{') return
      this.#callDepth = 1
      this.#depth = 0
    }
    const atCall = this.#depth === this.#callDepth
    // the arguments value ends at a call-level ',' or '}'; whitespace around it is not part of it
    const ends = atCall && !this.#inString && (ch === ',' || ch === '}' || ch.trim() === '')
    if (this.#valueKey === 'arguments' && !ends) this.#args += ch
    if (this.#inString) {
      if (this.#escape) this.#escape = false
      else if (ch === '\\') this.#escape = true
      else if (ch === '"') this.#inString = false
      if (this.#inString || this.#escape) this.#collect(ch, atCall)
      else if (atCall) this.#endString(out)
      return
    }
    if (ch === '"') {
      this.#inString = true
      if (atCall && !this.#valueKey) {
        this.#key = ''
        this.#keyDone = false
      }
      return
    }
    if (ch === '{' || ch === '[') {
      this.#depth++
      if (ch === '{' && this.#depth === this.#callDepth) this.#startCall()
      return
    }
    if (ch === '}' || ch === ']') {
      if (atCall) this.#endCall(out)
      this.#depth--
      return
    }
    if (atCall && ch === ':') this.#valueKey = this.#key
    else if (atCall && ch === ',') this.#valueKey = null
  }

  #collect(ch: string, atCall: boolean): void {
    if (!atCall) return
    if (this.#valueKey === 'name') this.#name += ch
    else if (!this.#valueKey && !this.#keyDone) this.#key += ch
  }

  #endString(out: ToolCallPiece[]): void {
    if (!this.#valueKey) {
      this.#keyDone = true
      return
    }
    if (this.#valueKey === 'name') this.#sendHeader(out)
  }

  #startCall(): void {
    this.#index++
    this.#name = ''
    this.#args = ''
    this.#argsSent = 0
    this.#headerSent = false
    this.#valueKey = null
  }

  #endCall(out: ToolCallPiece[]): void {
    this.#sendHeader(out)
    this.#flushArgs(out)
    this.#valueKey = null
  }

  #sendHeader(out: ToolCallPiece[]): void {
    if (this.#headerSent || this.#index < 0) return
    this.#headerSent = true
    const name = JSON.parse(`"${this.#name}"`) as string
    out.push({ index: this.#index, id: toolCallId(), name, arguments: '' })
  }

  #flushArgs(out: ToolCallPiece[]): void {
    if (!this.#headerSent || this.#args.length === this.#argsSent) return
    const fragment = this.#args.slice(this.#argsSent)
    this.#argsSent = this.#args.length
    out.push({ index: this.#index, arguments: fragment })
  }
}
