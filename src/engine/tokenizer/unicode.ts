// Code point classes, case and NFD helpers that mirror llama.cpp's src/unicode.cpp tables.

/** Flag bits of a code point, as in llama.cpp's unicode_cpt_flags. */
export const CPT = {
  UNDEFINED: 0x1,
  NUMBER: 0x2,
  LETTER: 0x4,
  SEPARATOR: 0x8,
  MARK: 0x10,
  PUNCTUATION: 0x20,
  SYMBOL: 0x40,
  CONTROL: 0x80,
  WHITESPACE: 0x100,
} as const

const COMPUTED = 0x8000
const flagCache = new Uint16Array(0x110000)
const CATEGORY_TESTS: ReadonlyArray<readonly [RegExp, number]> = [
  [/\p{L}/u, CPT.LETTER],
  [/\p{N}/u, CPT.NUMBER],
  [/\p{M}/u, CPT.MARK],
  [/\p{P}/u, CPT.PUNCTUATION],
  [/\p{S}/u, CPT.SYMBOL],
  [/\p{Z}/u, CPT.SEPARATOR],
  [/\p{Cn}/u, CPT.UNDEFINED],
  [/\p{C}/u, CPT.CONTROL],
]

/** Python's str.isspace() set, which llama.cpp uses for unicode_set_whitespace. */
export function isWhitespaceCpt(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    (cp >= 0x1c && cp <= 0x20) ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  )
}

/** The CPT flags of one code point (0 for values outside Unicode). */
export function cptFlags(cp: number): number {
  if (cp < 0 || cp >= 0x110000) return 0
  const cached = flagCache[cp] as number
  if (cached & COMPUTED) return cached & ~COMPUTED
  const ch = String.fromCodePoint(cp)
  let flags: number = CPT.UNDEFINED
  for (const [re, flag] of CATEGORY_TESTS) {
    if (re.test(ch)) {
      flags = flag
      break
    }
  }
  if (isWhitespaceCpt(cp)) flags |= CPT.WHITESPACE
  flagCache[cp] = flags | COMPUTED
  return flags
}

/** Lowercases one code point the way llama.cpp's table does (first code point of the full mapping). */
export function toLowerCpt(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp
  return String.fromCodePoint(cp).toLowerCase().codePointAt(0) ?? cp
}

/** First code point of the NFD decomposition (llama.cpp's unicode_ranges_nfd keeps only that one). */
export function nfdFirstCpt(cp: number): number {
  if (cp < 0xc0) return cp
  return String.fromCodePoint(cp).normalize('NFD').codePointAt(0) ?? cp
}

/** Splits a string into code points, turning lone surrogates into U+FFFD like a UTF-8 round trip would. */
export function codePoints(text: string): number[] {
  const out: number[] = []
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number
    out.push(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp)
  }
  return out
}

/** Number of UTF-8 bytes a code point takes. */
export function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
}

const BYTE_TO_CHAR: string[] = []
const CHAR_TO_BYTE = new Map<string, number>()
{
  // GPT-2 bytes_to_unicode(): printable bytes map to themselves, the rest to U+0100 and up
  let n = 0
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)
    const ch = String.fromCodePoint(printable ? b : 256 + n++)
    BYTE_TO_CHAR[b] = ch
    CHAR_TO_BYTE.set(ch, b)
  }
}

/** GPT-2 byte-level encoding of a string's UTF-8 bytes. */
export function byteEncode(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += BYTE_TO_CHAR[b] as string
  return out
}

/** The byte a GPT-2 byte-level character stands for, or undefined. */
export function byteOfChar(ch: string): number | undefined {
  return CHAR_TO_BYTE.get(ch)
}
