import { CPT, codePoints, cptFlags, toLowerCpt } from './unicode.js'

// Pre-tokenizer regexes by tokenizer.ggml.pre, copied from llama.cpp's llm_tokenizer_bpe constructor.
const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
const LLAMA3 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
const QWEN2 =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
const STARCODER = ['\\p{N}', GPT2]
const PRE_REGEXES: Record<string, string[]> = {
  default: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2, '\\p{N}+', '[0-9][0-9][0-9]'],
  gpt2: [GPT2],
  llama3: [LLAMA3],
  qwen2: [QWEN2],
  starcoder: STARCODER,
  falcon: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2, '[0-9][0-9][0-9]'],
}
const PRE_ALIASES: Record<string, string> = {
  'llama-v3': 'llama3',
  'llama-bpe': 'llama3',
  falcon3: 'llama3',
  'falcon-h1': 'llama3',
  pixtral: 'llama3',
  'midm-2.0': 'llama3',
  lfm2: 'llama3',
  'jina-v5-nano': 'llama3',
  dbrx: 'llama3',
  'smaug-bpe': 'llama3',
  'chatglm-bpe': 'llama3',
  glm4: 'llama3',
  'gpt-2': 'gpt2',
  'phi-2': 'gpt2',
  'jina-es': 'gpt2',
  'jina-de': 'gpt2',
  gigachat: 'gpt2',
  'jina-v2-es': 'gpt2',
  'jina-v2-de': 'gpt2',
  'a.x-4.0': 'gpt2',
  mellum: 'gpt2',
  'modern-bert': 'gpt2',
  mpt: 'gpt2',
  olmo: 'gpt2',
  jais: 'gpt2',
  trillion: 'gpt2',
  'granite-docling': 'gpt2',
  exaone4: 'gpt2',
  'jina-v1-en': 'gpt2',
  'jina-v2-code': 'gpt2',
  'roberta-bpe': 'gpt2',
  'deepseek-r1-qwen': 'qwen2',
  kormo: 'qwen2',
  f2llmv2: 'qwen2',
  stablelm2: 'qwen2',
  megrez: 'qwen2',
  hunyuan: 'qwen2',
  'solar-open': 'qwen2',
  'grok-2': 'qwen2',
  refact: 'starcoder',
  'command-r': 'starcoder',
  smollm: 'starcoder',
  codeshell: 'starcoder',
  exaone: 'starcoder',
  'minerva-7b': 'starcoder',
  mellum2: 'starcoder',
}

/** The regex list for a tokenizer.ggml.pre value; unknown values fall back to GPT-2 with `known: false`. */
export function pretokenizerRegexes(pre: string): { regexes: string[]; known: boolean } {
  const name = pre === '' ? 'default' : (PRE_ALIASES[pre] ?? pre)
  const regexes = PRE_REGEXES[name]
  return regexes ? { regexes, known: true } : { regexes: [GPT2], known: false }
}

/** Splits text into pre-tokenizer words, applying each regex in turn to the pieces left by the previous one. */
export function splitWords(text: string, regexes: string[]): string[] {
  const cpts = codePoints(text)
  let lengths = [cpts.length]
  for (const re of regexes) {
    if (re === GPT2) lengths = splitCustom(cpts, lengths, false)
    else if (re === LLAMA3) lengths = splitCustom(cpts, lengths, true)
    else lengths = splitRegex(cpts, lengths, compile(re))
  }
  const words: string[] = []
  let start = 0
  for (const len of lengths) {
    words.push(String.fromCodePoint(...cpts.slice(start, start + len)))
    start += len
  }
  return words
}

const compiled = new Map<string, RegExp>()

// llama.cpp's \s is Python's isspace() set, not JavaScript's, so spell it out
const WS = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'

function compile(source: string): RegExp {
  let re = compiled.get(source)
  if (!re) {
    let out = ''
    let inClass = false
    for (let i = 0; i < source.length; i++) {
      const c = source[i] as string
      if (c === '\\' && i + 1 < source.length) {
        const next = source[i + 1] as string
        if (next === 's') out += inClass ? WS : `[${WS}]`
        else if (next === 'S' && !inClass) out += `[^${WS}]`
        else out += c + next
        i++
        continue
      }
      if (c === '[') inClass = true
      else if (c === ']') inClass = false
      out += c
    }
    re = new RegExp(out, 'gu')
    compiled.set(source, re)
  }
  return re
}

function splitRegex(cpts: number[], lengths: number[], re: RegExp): number[] {
  const out: number[] = []
  let start = 0
  for (const len of lengths) {
    const piece = cpts.slice(start, start + len)
    const text = String.fromCodePoint(...piece)
    let last = 0 // in code points
    let lastUnits = 0
    re.lastIndex = 0
    for (const m of text.matchAll(re)) {
      if (m[0].length === 0) continue
      const at = last + countCodePoints(text, lastUnits, m.index)
      const size = countCodePoints(text, m.index, m.index + m[0].length)
      if (at > last) out.push(at - last)
      out.push(size)
      last = at + size
      lastUnits = m.index + m[0].length
    }
    if (last < len) out.push(len - last)
    start += len
  }
  return out
}

function countCodePoints(text: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xdc00 || c > 0xdfff) n++
  }
  return n
}

// Hand-written matchers for the GPT-2 and Llama-3 regexes, line by line as in llama.cpp's unicode.cpp.
function splitCustom(cpts: number[], lengths: number[], llama3: boolean): number[] {
  const out: number[] = []
  let start = 0
  for (const len of lengths) {
    const ini = start
    const end = start + len
    start = end
    const cpt = (pos: number): number => (pos >= ini && pos < end ? (cpts[pos] as number) : -1)
    const flags = (pos: number): number => (pos >= ini && pos < end ? cptFlags(cpts[pos] as number) : 0)
    const letter = (pos: number): boolean => (flags(pos) & CPT.LETTER) !== 0
    const number = (pos: number): boolean => (flags(pos) & CPT.NUMBER) !== 0
    const space = (pos: number): boolean => (flags(pos) & CPT.WHITESPACE) !== 0
    const other = (pos: number): boolean => flags(pos) !== 0 && !letter(pos) && !number(pos) && !space(pos)
    let prevEnd = ini
    const add = (e: number): number => {
      const n = e - prevEnd
      if (n > 0) out.push(n)
      prevEnd = e
      return n
    }
    for (let pos = ini; pos < end;) {
      const c = cpt(pos)
      if (c === 0x27 && pos + 1 < end) {
        // contractions: 's 't 're 've 'm 'll 'd
        const n1 = llama3 ? toLowerCpt(cpt(pos + 1)) : cpt(pos + 1)
        if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) {
          pos += add(pos + 2)
          continue
        }
        if (pos + 2 < end) {
          const n2 = llama3 ? toLowerCpt(cpt(pos + 2)) : cpt(pos + 2)
          if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) {
            pos += add(pos + 3)
            continue
          }
        }
      }
      if (llama3) {
        if (!(c === 0x0d || c === 0x0a || number(pos)) && (letter(pos) || letter(pos + 1))) {
          // [^\r\n\p{L}\p{N}]?\p{L}+
          pos++
          while (letter(pos)) pos++
          add(pos)
          continue
        }
        if (number(pos)) {
          // \p{N}{1,3}
          let first = pos
          while (number(pos))
            if (++pos - first >= 3) {
              add(pos)
              first = pos
            }
          add(pos)
          continue
        }
      } else {
        const p2 = c === 0x20 ? pos + 1 : pos
        if (letter(p2) || number(p2)) {
          // ' ?\p{L}+' and ' ?\p{N}+'
          const same = letter(p2) ? letter : number
          pos = p2
          while (same(pos)) pos++
          add(pos)
          continue
        }
      }
      const p2 = c === 0x20 ? pos + 1 : pos
      if (other(p2)) {
        // ' ?[^\s\p{L}\p{N}]+' (+ '[\r\n]*' for llama3)
        pos = p2
        while (other(pos)) pos++
        if (llama3) while (cpt(pos) === 0x0d || cpt(pos) === 0x0a) pos++
        add(pos)
        continue
      }
      let spaces = 0
      let lastNewline = 0
      while (space(pos + spaces)) {
        const w = cpt(pos + spaces)
        if (w === 0x0d || w === 0x0a) lastNewline = pos + spaces + 1
        spaces++
      }
      if (llama3 && lastNewline > 0) {
        pos = lastNewline
        add(pos)
        continue
      } // \s*[\r\n]+
      if (spaces > 1 && cpt(pos + spaces) !== -1) {
        pos += spaces - 1
        add(pos)
        continue
      } // \s+(?!\S)
      if (spaces > 0) {
        pos += spaces
        add(pos)
        continue
      } // \s+
      add(++pos)
    }
  }
  return out
}
