import { BinaryHeap } from './binary-heap.js'
import { pretokenizerRegexes, splitWords } from './bpe-pretokenize.js'
import { byteEncode } from './unicode.js'
import type { Vocab } from './tokenizer-vocab.js'

type BpeSymbol = { start: number; n: number; prev: number; next: number }
type BpeBigram = { left: number; right: number; text: string; rank: number }

const encoder = new TextEncoder()

/** Byte-level BPE (GPT-2 style) over one text fragment, as llama.cpp's llm_tokenizer_bpe_session. */
export function createBpe(vocab: Vocab, warn: (message: string) => void): (text: string, output: number[]) => void {
  const { regexes, known } = pretokenizerRegexes(vocab.pre)
  if (!known) {
    warn(
      `tokenizer: pre-tokenizer '${vocab.pre}' is not implemented, using the GPT-2 regex; token ids may differ from llama.cpp`,
    )
  }
  return (text, output) => {
    for (const word of splitWords(text, regexes)) tokenizeWord(vocab, byteEncode(encoder.encode(word)), output)
  }
}

function tokenizeWord(vocab: Vocab, word: string, output: number[]): void {
  if (vocab.ignoreMerges) {
    const whole = vocab.tokenToId.get(word)
    if (whole !== undefined) {
      output.push(whole)
      return
    }
  }
  // byte-level characters are all in the BMP, so one UTF-16 unit is one symbol
  const symbols: BpeSymbol[] = []
  for (let i = 0; i < word.length; i++)
    symbols.push({ start: i, n: 1, prev: i - 1, next: i + 1 === word.length ? -1 : i + 1 })
  const queue = new BinaryHeap<BpeBigram>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left))
  const textOf = (s: BpeSymbol): string => word.slice(s.start, s.start + s.n)
  const addBigram = (left: number, right: number): void => {
    if (left === -1 || right === -1) return
    const l = textOf(symbols[left] as BpeSymbol)
    const r = textOf(symbols[right] as BpeSymbol)
    const rank = vocab.bpeRanks.get(`${l} ${r}`)
    if (rank !== undefined) queue.push({ left, right, text: l + r, rank })
  }
  for (let i = 1; i < symbols.length; i++) addBigram(i - 1, i)
  while (queue.size > 0) {
    const bigram = queue.pop() as BpeBigram
    const left = symbols[bigram.left] as BpeSymbol
    const right = symbols[bigram.right] as BpeSymbol
    if (left.n === 0 || right.n === 0 || textOf(left) + textOf(right) !== bigram.text) continue // outdated pair
    left.n += right.n
    right.n = 0
    left.next = right.next
    if (right.next >= 0) (symbols[right.next] as BpeSymbol).prev = bigram.left
    addBigram(left.prev, bigram.left)
    addBigram(bigram.left, left.next)
  }
  for (const symbol of symbols) {
    if (symbol.n === 0) continue
    const piece = textOf(symbol)
    const id = vocab.tokenToId.get(piece)
    if (id !== undefined) {
      output.push(id)
      continue
    }
    // no token for the merged piece: fall back to its single bytes, keeping only those the vocabulary has
    for (const byte of encoder.encode(piece)) {
      const single = byte < 0x80 ? vocab.tokenToId.get(String.fromCharCode(byte)) : undefined
      if (single !== undefined) output.push(single)
    }
  }
}
