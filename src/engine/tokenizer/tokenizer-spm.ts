import { BinaryHeap } from './binary-heap.js'
import type { Vocab } from './tokenizer-vocab.js'

const encoder = new TextEncoder()

type SpmSymbol = { start: number; n: number; prev: number; next: number }
type SpmBigram = { left: number; right: number; score: number; size: number }

/** SentencePiece BPE over one text fragment (spaces already escaped to U+2581), as llm_tokenizer_spm_session. */
export function tokenizeSpm(vocab: Vocab, text: string, output: number[]): void {
  const symbols: SpmSymbol[] = []
  // one symbol per code point; `start`/`n` are UTF-16 offsets into `text`
  for (let offs = 0; offs < text.length;) {
    const n = (text.codePointAt(offs) as number) > 0xffff ? 2 : 1
    const index = symbols.length
    symbols.push({ start: offs, n, prev: index - 1, next: offs + n === text.length ? -1 : index + 1 })
    offs += n
  }
  // highest score first; on a tie the leftmost pair
  const queue = new BinaryHeap<SpmBigram>((a, b) => a.score > b.score || (a.score === b.score && a.left < b.left))
  const revMerge = new Map<string, [number, number]>()
  const tryAddBigram = (left: number, right: number): void => {
    if (left === -1 || right === -1) return
    const l = symbols[left] as SpmSymbol
    const r = symbols[right] as SpmSymbol
    const piece = text.slice(l.start, l.start + l.n + r.n)
    const id = vocab.tokenToId.get(piece)
    if (id === undefined) return
    queue.push({ left, right, score: vocab.scores[id] as number, size: piece.length })
    revMerge.set(piece, [left, right])
  }
  for (let i = 1; i < symbols.length; i++) tryAddBigram(i - 1, i)
  while (queue.size > 0) {
    const bigram = queue.pop() as SpmBigram
    const left = symbols[bigram.left] as SpmSymbol
    const right = symbols[bigram.right] as SpmSymbol
    // skip pairs whose symbols were merged away since they were queued
    if (left.n === 0 || right.n === 0 || left.n + right.n !== bigram.size) continue
    left.n += right.n
    right.n = 0
    left.next = right.next
    if (right.next >= 0) (symbols[right.next] as SpmSymbol).prev = bigram.left
    tryAddBigram(left.prev, bigram.left)
    tryAddBigram(bigram.left, left.next)
  }
  const resegment = (symbol: SpmSymbol): void => {
    const piece = text.slice(symbol.start, symbol.start + symbol.n)
    const id = vocab.tokenToId.get(piece)
    if (id !== undefined) {
      output.push(id)
      return
    }
    const merge = revMerge.get(piece)
    if (!merge) {
      for (const byte of encoder.encode(piece)) output.push(byteToToken(vocab, byte))
      return
    }
    resegment(symbols[merge[0]] as SpmSymbol)
    resegment(symbols[merge[1]] as SpmSymbol)
  }
  for (let i = symbols.length > 0 ? 0 : -1; i !== -1; i = (symbols[i] as SpmSymbol).next)
    resegment(symbols[i] as SpmSymbol)
}

/** The <0xXX> byte token for a byte, falling back to the byte as a one-character token (llama_vocab::byte_to_token). */
export function byteToToken(vocab: Vocab, byte: number): number {
  const hex = byte.toString(16).toUpperCase().padStart(2, '0')
  const id =
    vocab.tokenToId.get(`<0x${hex}>`) ?? (byte < 0x80 ? vocab.tokenToId.get(String.fromCharCode(byte)) : undefined)
  if (id === undefined) throw new Error(`Cannot tokenize: the vocabulary has no token for byte 0x${hex}`)
  return id
}
