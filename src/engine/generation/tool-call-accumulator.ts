import type { ToolCall, ToolCallEvent } from '../types.js'

/** A tool-call piece without its choice: the fields that merge. */
export type ToolCallPiece = Pick<ToolCallEvent, 'index' | 'id' | 'name' | 'arguments'>

/**
 * Merges streamed tool-call pieces into whole calls, by index, as the openai SDK's ChatCompletionStream does: the
 * first piece of a call brings its id, names and arguments are concatenated.
 */
export class ToolCallAccumulator {
  readonly #calls: ToolCall[] = []

  /** Adds one piece. */
  add(piece: ToolCallPiece): void {
    const call = (this.#calls[piece.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } })
    if (piece.id) call.id = piece.id
    if (piece.name) call.function.name += piece.name
    call.function.arguments += piece.arguments
  }

  /** The calls so far, in index order (an index never seen leaves no hole). */
  get calls(): ToolCall[] {
    return this.#calls.filter((c) => c !== undefined)
  }
}
