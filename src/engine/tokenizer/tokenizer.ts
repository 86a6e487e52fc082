import type { GgufHeader } from '../gguf/gguf.js'
import { createBpe } from './tokenizer-bpe.js'
import { tokenizeSpm } from './tokenizer-spm.js'
import { ATTR, loadVocab, type Vocab } from './tokenizer-vocab.js'
import { tokenizeWpm } from './tokenizer-wpm.js'
import { byteOfChar } from './unicode.js'

/** Options of Tokenizer.tokenize(), as llama_tokenize's add_special and parse_special. */
export type TokenizeOptions = { addSpecial?: boolean; parseSpecial?: boolean }
/** Options of Tokenizer.detokenize(), as llama_detokenize's remove_special and unparse_special. */
export type DetokenizeOptions = { removeSpecial?: boolean; unparseSpecial?: boolean }

/** A JavaScript port of llama.cpp's tokenizer for SPM, BPE and WPM vocabularies. */
export type Tokenizer = {
  readonly type: 'spm' | 'bpe' | 'wpm'
  readonly vocabSize: number
  readonly bos: number | null
  readonly eos: number | null
  /** Token ids that end generation (EOS, EOT and the like). */
  readonly eog: ReadonlySet<number>
  tokenize(text: string, options?: TokenizeOptions): number[]
  detokenize(ids: readonly number[], options?: DetokenizeOptions): string
  /** The bytes a token stands for (control tokens give their text unless `special` is false). */
  pieceBytes(id: number, options?: { special?: boolean }): Uint8Array
}

type Fragment = string | number // raw text, or a special token id already matched

const encoder = new TextEncoder()
const utf8 = new TextDecoder('utf-8') // not fatal: invalid sequences decode to U+FFFD

/** Builds a tokenizer from a GGUF header's tokenizer.* metadata. */
export function createTokenizer(header: GgufHeader, options: { warn?: (message: string) => void } = {}): Tokenizer {
  const vocab = loadVocab(header)
  const warn = options.warn ?? ((message: string) => process.emitWarning(message))
  const bpe = vocab.type === 'bpe' ? createBpe(vocab, warn) : null
  const pieces: Uint8Array[] = vocab.tokens.map((_, id) => piece(vocab, id))
  const optional = (id: number): number | null => (id >= 0 ? id : null)

  const tokenize = (text: string, opts: TokenizeOptions = {}): number[] => {
    const addSpecial = opts.addSpecial ?? true
    const fragments = text.length > 0 ? partition(vocab, text, opts.parseSpecial ?? false) : []
    const out: number[] = []
    switch (vocab.type) {
      case 'spm': {
        if (addSpecial && vocab.addBos) out.push(need(vocab.bos, 'BOS'))
        let prevSpecial = true // a space is added before the first fragment and after every special token
        for (const f of fragments) {
          if (typeof f === 'number') {
            out.push(f)
            prevSpecial = true
            continue
          }
          const spaced = vocab.addSpacePrefix && prevSpecial ? ` ${f}` : f
          tokenizeSpm(vocab, spaced.replaceAll(' ', '\u2581'), out)
          prevSpecial = false
        }
        if (addSpecial && vocab.addEos) out.push(need(vocab.eos, 'EOS'))
        break
      }
      case 'bpe': {
        if (addSpecial && vocab.addBos) out.push(need(vocab.bos, 'BOS'))
        for (const f of fragments) {
          if (typeof f === 'number') out.push(f)
          else bpe?.(f, out)
        }
        if (addSpecial && vocab.addEos) out.push(need(vocab.eos, 'EOS'))
        break
      }
      case 'wpm': {
        if (addSpecial) out.push(need(vocab.bos, 'BOS'))
        for (const f of fragments) {
          if (typeof f === 'number') out.push(f)
          else tokenizeWpm(vocab, f, out)
        }
        if (addSpecial) out.push(need(vocab.sep, 'SEP'))
        break
      }
      default: {
        const never: never = vocab.type
        throw new Error(`Cannot tokenize: unknown vocabulary type ${String(never)}`)
      }
    }
    return out
  }

  const detokenize = (ids: readonly number[], opts: DetokenizeOptions = {}): string => {
    let list = ids
    let removeSpace = vocab.addSpacePrefix
    if (opts.removeSpecial && vocab.addBos && list.length > 0 && list[0] === vocab.bos) {
      removeSpace = false
      list = list.slice(1)
    }
    if (opts.removeSpecial && vocab.addEos && list.length > 0 && list[list.length - 1] === vocab.eos)
      list = list.slice(0, -1)
    const chunks: Uint8Array[] = []
    for (const id of list) {
      let bytes = pieceOf(id, opts.unparseSpecial ?? false)
      if (removeSpace && bytes[0] === 0x20) bytes = bytes.subarray(1)
      removeSpace = false
      chunks.push(bytes)
    }
    let bytes = concat(chunks)
    if (vocab.cleanSpaces) bytes = cleanSpaces(bytes)
    return utf8.decode(bytes)
  }

  const pieceOf = (id: number, special: boolean): Uint8Array => {
    const bytes = pieces[id]
    if (bytes === undefined)
      throw new RangeError(`Cannot detokenize: token id ${id} is outside the vocabulary of ${pieces.length}`)
    if (!special && (vocab.attrs[id] as number) & (ATTR.UNKNOWN | ATTR.CONTROL)) return new Uint8Array(0)
    return bytes
  }

  return {
    type: vocab.type,
    vocabSize: vocab.tokens.length,
    bos: optional(vocab.bos),
    eos: optional(vocab.eos),
    eog: vocab.eogIds,
    tokenize,
    detokenize,
    pieceBytes: (id, opts = {}) => pieceOf(id, opts.special ?? true).slice(),
  }
}

function need(id: number, what: string): number {
  if (id < 0) throw new Error(`Cannot tokenize: the model asks for a ${what} token but has none`)
  return id
}

/** Splits raw text around special tokens found in it (llama.cpp's tokenizer_st_partition). */
function partition(vocab: Vocab, text: string, parseSpecial: boolean): Fragment[] {
  let fragments: Fragment[] = [text]
  for (const id of vocab.specialTokens) {
    const attr = vocab.attrs[id] as number
    // control and unknown tokens only count when asked; user-defined tokens always do
    if (!parseSpecial && attr & (ATTR.CONTROL | ATTR.UNKNOWN)) continue
    const special = vocab.tokens[id] as string
    const next: Fragment[] = []
    for (const f of fragments) {
      if (typeof f === 'number') {
        next.push(f)
        continue
      }
      let rest = f
      for (;;) {
        const at = rest.indexOf(special)
        if (at < 0) break
        let left = rest.slice(0, at)
        if (attr & ATTR.LSTRIP) left = left.replace(/[ \t\n\v\f\r]+$/, '')
        if (left.length > 0) next.push(left)
        next.push(id)
        rest = rest.slice(at + special.length)
        if (attr & ATTR.RSTRIP) rest = rest.replace(/^[ \t\n\v\f\r]+/, '')
      }
      if (rest.length > 0) next.push(rest)
    }
    fragments = next
  }
  return fragments
}

/** The bytes of one token as llama.cpp's token_to_piece(special = true) produces them. */
function piece(vocab: Vocab, id: number): Uint8Array {
  const attr = vocab.attrs[id] as number
  const text = vocab.tokens[id] as string
  if (attr & (ATTR.UNKNOWN | ATTR.CONTROL | ATTR.USER_DEFINED)) return encoder.encode(text)
  if (attr & ATTR.BYTE && vocab.type !== 'wpm') return Uint8Array.of(Number.parseInt(text.slice(3, 5), 16))
  if (!(attr & ATTR.NORMAL)) return new Uint8Array(0)
  if (vocab.type !== 'bpe') return encoder.encode(text.replaceAll('\u2581', ' '))
  // byte-level BPE: every character stands for one byte
  const out: number[] = []
  for (const ch of text) {
    const b = byteOfChar(ch)
    if (b !== undefined) out.push(b)
    else
      out.push(
        ...encoder.encode(
          `[UNK_BYTE_0x${[...encoder.encode(ch)].map((x) => x.toString(16).padStart(2, '0')).join('')}${text}]`,
        ),
      )
  }
  return Uint8Array.from(out)
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** llama.cpp's clean_up_tokenization_spaces passes, ported byte for byte (they work in place, as there). */
function cleanSpaces(input: Uint8Array): Uint8Array {
  const SP = 0x20
  const QUOTE = 0x27
  const text = input.slice()
  const at = (i: number): number => text[i] as number
  // pass 1: " ?", " !", " .", " ," lose the space
  let n = text.length
  let total = n > 0 ? 1 : 0
  for (let i = 1; i < n; i++) {
    const x = at(i)
    if (at(i - 1) === SP && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) total--
    text[total++] = x
  }
  // pass 2: a single quote between spaces loses both spaces
  n = total
  total = n > 0 ? 1 : 0
  for (let i = 1; i < n; i++) {
    const x = at(i)
    if (x === QUOTE && i + 1 < n && at(i - 1) === SP && at(i + 1) === SP) {
      total--
      text[++i] = 0
    }
    text[total++] = x
  }
  // pass 3: " 's", " 'm", " 're", " 've" lose the space
  n = total
  total = n > 0 ? 1 : 0
  for (let i = 1; i < n; i++) {
    const x = at(i)
    if (at(i - 1) === SP && x === QUOTE && i + 1 < n) {
      const x1 = at(i + 1)
      if (x1 === 0x73 || x1 === 0x6d) total--
      else if (x1 !== 0x74 && x1 !== 0x64 && i + 2 < n) {
        const x2 = at(i + 2)
        if ((x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65)) total--
      }
    }
    text[total++] = x
  }
  return text.subarray(0, total)
}
