import { CPT, codePoints, cptFlags, nfdFirstCpt, toLowerCpt, utf8Length } from './unicode.js'
import type { Vocab } from './tokenizer-vocab.js'

/** BERT WordPiece over one text fragment, as llama.cpp's llm_tokenizer_wpm_session. */
export function tokenizeWpm(vocab: Vocab, text: string, output: number[]): void {
  for (const word of preprocess(vocab, text)) {
    if (word.length === 0) continue
    // the GGUF vocabulary marks word starts with U+2581 instead of marking continuations with ##
    const cps = codePoints(`\u2581${word}`)
    const before = output.length
    for (let i = 0; i < cps.length; i++) {
      let match = false
      // longest match first; candidates longer than the longest token cannot match
      let bytes = 0
      let limit = i
      while (limit < cps.length && bytes + utf8Length(cps[limit] as number) <= vocab.maxTokenLen) {
        bytes += utf8Length(cps[limit] as number)
        limit++
      }
      for (let j = limit; j > i; j--) {
        const id = vocab.tokenToId.get(String.fromCodePoint(...cps.slice(i, j)))
        if (id !== undefined) {
          output.push(id)
          match = true
          i = j - 1
          break
        }
      }
      if (!match) {
        // discard the whole word
        output.length = before
        break
      }
    }
    if (output.length === before) output.push(vocab.unk)
  }
}

/** Normalizes (optional NFD accent stripping and lowercasing) and splits text into words and single punctuation marks. */
function preprocess(vocab: Vocab, text: string): string[] {
  let cps = codePoints(text)
  if (vocab.stripAccents) cps = cps.map(nfdFirstCpt)
  const words: string[] = ['']
  const last = (): string => words[words.length - 1] as string
  for (const cp of cps) {
    const flags = cptFlags(cp)
    if (flags & CPT.WHITESPACE) {
      if (last().length > 0) words.push('')
      continue
    }
    if (cp === 0 || cp === 0xfffd || flags & CPT.CONTROL) continue
    if (vocab.stripAccents && flags & CPT.MARK) continue
    const s = String.fromCodePoint(vocab.lowercase ? toLowerCpt(cp) : cp)
    if (flags & CPT.PUNCTUATION || (cp < 0x7f && flags & CPT.SYMBOL) || isChineseChar(cp)) {
      if (last().length > 0) words.push('')
      words[words.length - 1] = s
      words.push('')
    } else {
      words[words.length - 1] = last() + s
    }
  }
  if (last().length === 0) words.pop()
  return words
}

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) || // 0x2b820 in Unicode, 0x2b920 in the HF code llama.cpp copies
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  )
}
