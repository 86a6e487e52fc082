import type { GgufHeader, GgufValue } from '../gguf/gguf.js'

/** Token attribute bits, as llama_token_attr in llama.h. */
export const ATTR = {
  UNDEFINED: 0,
  UNKNOWN: 1 << 0,
  UNUSED: 1 << 1,
  NORMAL: 1 << 2,
  CONTROL: 1 << 3,
  USER_DEFINED: 1 << 4,
  BYTE: 1 << 5,
  NORMALIZED: 1 << 6,
  LSTRIP: 1 << 7,
  RSTRIP: 1 << 8,
  SINGLE_WORD: 1 << 9,
} as const

/** The tokenizer families this module implements. */
export type VocabType = 'spm' | 'bpe' | 'wpm'

// tokenizer.ggml.token_type values (LLAMA_TOKEN_TYPE_*) to attributes
const TYPE_TO_ATTR: Record<number, number> = {
  0: ATTR.UNDEFINED,
  1: ATTR.NORMAL,
  2: ATTR.UNKNOWN,
  3: ATTR.CONTROL,
  4: ATTR.USER_DEFINED,
  5: ATTR.UNUSED,
  6: ATTR.BYTE,
}
// fill-in-the-middle markers llama.cpp recognises by text and forces to control tokens
const FIM_TEXTS = new Set([
  '<|fim_prefix|>',
  '<fim-prefix>',
  '<fim_prefix>',
  '<｜fim▁begin｜>',
  '<PRE>',
  '▁<PRE>',
  '<|code_prefix|>',
  '<|prefix|>',
  '<|fim_suffix|>',
  '<fim-suffix>',
  '<fim_suffix>',
  '<｜fim▁hole｜>',
  '<SUF>',
  '▁<SUF>',
  '<|code_suffix|>',
  '<|suffix|>',
  '<|fim_middle|>',
  '<fim-middle>',
  '<fim_middle>',
  '<｜fim▁end｜>',
  '<MID>',
  '▁<MID>',
  '<|code_middle|>',
  '<|middle|>',
])
// FIM pad/repo/file-separator markers end generation too
const FIM_EOG_TEXTS = new Set([
  '<|fim_pad|>',
  '<fim-pad>',
  '<fim_pad>',
  '<PAD>',
  '[PAD]',
  '<|fim_repo|>',
  '<|repo_name|>',
  '<fim-repo>',
  '<REPO>',
  '<reponame>',
  '<|file_sep|>',
])
const EOG_TEXTS = new Set([
  '<|eot_id|>',
  '<|im_end|>',
  '<|end|>',
  '<|return|>',
  '<|call|>',
  '<|flush|>',
  '<|calls|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '</s>',
  '<|eom_id|>',
  '<EOT>',
  '_<EOT>',
  '[EOT]',
  '[EOS]',
  '<|end_of_text|>',
  '<end_of_utterance>',
  '<eos>',
  '<turn|>',
  '<|tool_response>',
  '<｜end▁of▁sentence｜>',
  '[e~[',
])
const NO_ID = -1

/** The vocabulary and tokenizer settings of a GGUF file, loaded as llama.cpp's llama_vocab::load does. */
export type Vocab = {
  type: VocabType
  pre: string
  tokens: string[]
  scores: Float32Array
  attrs: Uint16Array
  tokenToId: Map<string, number>
  bpeRanks: Map<string, number>
  maxTokenLen: number
  bos: number
  eos: number
  unk: number
  sep: number
  pad: number
  eogIds: Set<number>
  addBos: boolean
  addEos: boolean
  addSep: boolean
  addSpacePrefix: boolean
  cleanSpaces: boolean
  ignoreMerges: boolean
  lowercase: boolean
  stripAccents: boolean
  /** Control, user-defined and unknown tokens, longest text first: matched in raw text before tokenizing. */
  specialTokens: number[]
}

/** Reads the tokenizer.* metadata of a GGUF header into a Vocab. */
export function loadVocab(header: GgufHeader): Vocab {
  const kv = header.kv
  const model = str(kv.get('tokenizer.ggml.model'))
  const pre = str(kv.get('tokenizer.ggml.pre')) ?? ''
  const tokensRaw = kv.get('tokenizer.ggml.tokens')
  if (!Array.isArray(tokensRaw)) throw new Error('Cannot create tokenizer: the model has no tokenizer.ggml.tokens')
  const v = defaults(model, pre)
  const n = tokensRaw.length
  const scoresRaw = arr(kv.get('tokenizer.ggml.scores'))
  const typesRaw = arr(kv.get('tokenizer.ggml.token_type'))
  const tokens: string[] = new Array<string>(n)
  const scores = new Float32Array(n)
  const attrs = new Uint16Array(n)
  const tokenToId = new Map<string, number>()
  let maxTokenLen = 0
  for (let i = 0; i < n; i++) {
    let word = String(tokensRaw[i])
    if (word === '') word = `[EMPTY_${i}]`
    if (tokenToId.has(word))
      throw new Error(`Cannot create tokenizer: duplicate token '${word}' at ids ${tokenToId.get(word)} and ${i}`)
    tokenToId.set(word, i)
    tokens[i] = word
    maxTokenLen = Math.max(maxTokenLen, utf8ByteLength(word))
    scores[i] = Number(scoresRaw?.[i] ?? 0)
    attrs[i] = typesRaw ? (TYPE_TO_ATTR[Number(typesRaw[i])] ?? ATTR.UNDEFINED) : ATTR.NORMAL
  }
  const vocab: Vocab = {
    ...v,
    pre,
    tokens,
    scores,
    attrs,
    tokenToId,
    maxTokenLen,
    eogIds: new Set(),
    specialTokens: [],
    bpeRanks: v.type === 'bpe' ? loadMerges(kv.get('tokenizer.ggml.merges')) : new Map(),
  }
  applySpecialIds(vocab, kv)
  detectControlTokens(vocab, str(kv.get('general.name')) ?? '')
  return vocab
}

function defaults(
  model: string | null,
  pre: string,
): Omit<
  Vocab,
  'pre' | 'tokens' | 'scores' | 'attrs' | 'tokenToId' | 'bpeRanks' | 'maxTokenLen' | 'eogIds' | 'specialTokens'
> {
  const base = {
    bos: 1,
    eos: 2,
    unk: 0,
    sep: NO_ID,
    pad: NO_ID,
    addBos: false,
    addEos: false,
    addSep: false,
    addSpacePrefix: false,
    cleanSpaces: false,
    ignoreMerges: false,
    lowercase: true,
    stripAccents: true,
  }
  switch (model) {
    case 'llama':
      return { ...base, type: 'spm', addSpacePrefix: true, addBos: true }
    case 'bert':
      return {
        ...base,
        type: 'wpm',
        bos: 101,
        eos: NO_ID,
        unk: 100,
        sep: 102,
        pad: 0,
        addBos: true,
        addSep: true,
        cleanSpaces: true,
      }
    case 'gpt2': {
      const llama3 = [
        'llama3',
        'llama-v3',
        'llama-bpe',
        'falcon3',
        'falcon-h1',
        'pixtral',
        'midm-2.0',
        'lfm2',
        'jina-v5-nano',
        'tekken',
      ]
      const keepSpaces = [
        'deepseek-llm',
        'deepseek-coder',
        'deepseek-v3',
        'qwen2',
        'deepseek-r1-qwen',
        'qwen35',
        'tekken',
        'command-r',
        'smollm',
        'poro-chat',
        'viking',
        'chameleon',
        'gpt-4o',
        'llama4',
        'superbpe',
        'trillion',
        'bailingmoe',
        'seed-coder',
        'hunyuan',
        'kimi-k2',
        'grok-2',
        'minimax-m2',
      ]
      return {
        ...base,
        type: 'bpe',
        bos: 11,
        eos: 11,
        unk: NO_ID,
        addBos: llama3.includes(pre) || pre === 'chameleon',
        ignoreMerges: llama3.includes(pre),
        cleanSpaces: !keepSpaces.includes(pre),
        addSep: ['jina-v1-en', 'jina-v2-code', 'roberta-bpe'].includes(pre),
      }
    }
    default:
      throw new Error(
        `Cannot create tokenizer: tokenizer model '${model ?? '(none)'}' is not supported (llama, gpt2 and bert are)`,
      )
  }
}

function applySpecialIds(v: Vocab, kv: Map<string, GgufValue>): void {
  const n = v.tokens.length
  const pick = (key: string, current: number): number => {
    const fallback = current >= n ? NO_ID : current
    const value = kv.get(key)
    return typeof value === 'number' && value >= 0 && value < n ? value : fallback
  }
  v.bos = pick('tokenizer.ggml.bos_token_id', v.bos)
  v.eos = pick('tokenizer.ggml.eos_token_id', v.eos)
  v.unk = pick('tokenizer.ggml.unknown_token_id', v.unk)
  v.sep = pick('tokenizer.ggml.seperator_token_id', v.sep) // sic: llama.cpp's key name
  v.pad = pick('tokenizer.ggml.padding_token_id', v.pad)
  const flag = (key: string, current: boolean): boolean => {
    const value = kv.get(key)
    return typeof value === 'boolean' ? value : current
  }
  v.addSpacePrefix = flag('tokenizer.ggml.add_space_prefix', v.addSpacePrefix)
  v.addBos = flag('tokenizer.ggml.add_bos_token', v.addBos)
  v.addEos = flag('tokenizer.ggml.add_eos_token', v.addEos)
  v.addSep = flag('tokenizer.ggml.add_sep_token', v.addSep)
  v.lowercase = flag('tokenizer.ggml.normalizer.lowercase', v.lowercase)
  v.stripAccents = flag('tokenizer.ggml.normalizer.strip_accents', v.lowercase)
}

// llama.cpp finds EOT/EOG tokens by text and forces them to be control tokens, then builds the special cache
function detectControlTokens(v: Vocab, modelName: string): void {
  const control = (id: number): void => {
    v.attrs[id] = (v.attrs[id] as number) | ATTR.CONTROL
  }
  for (const [text, id] of v.tokenToId) {
    if (FIM_TEXTS.has(text)) control(id)
    if (FIM_EOG_TEXTS.has(text)) {
      control(id)
      v.eogIds.add(id)
    }
  }
  for (const [text, id] of v.tokenToId) {
    const attr = v.attrs[id] as number
    if (attr & ATTR.CONTROL && text.includes('unused')) v.attrs[id] = attr | ATTR.UNUSED
  }
  for (const [text, id] of v.tokenToId) {
    if (EOG_TEXTS.has(text)) {
      v.eogIds.add(id)
      control(id)
    }
    if (['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>'].includes(text)) v.attrs[id] = ATTR.USER_DEFINED
  }
  if (v.eos !== NO_ID) v.eogIds.add(v.eos)
  const has = (t: string): boolean => [...v.eogIds].some((id) => v.tokens[id] === t)
  const end = v.tokenToId.get('<|end|>')
  if (
    end !== undefined &&
    v.eogIds.has(end) &&
    ((has('<|return|>') && has('<|call|>')) || (has('<|calls|>') && has('<|flush|>')))
  ) {
    // o200k_harmony / solar-open: <|end|> separates messages there, it does not end generation
    v.eogIds.delete(end)
    v.attrs[end] = ATTR.USER_DEFINED
  }
  const special: number[] = []
  for (let id = 0; id < v.tokens.length; id++) {
    if ((v.attrs[id] as number) & (ATTR.CONTROL | ATTR.USER_DEFINED | ATTR.UNKNOWN)) special.push(id)
  }
  const bytesOf = (id: number): number => utf8ByteLength(v.tokens[id] as string)
  special.sort((a, b) => bytesOf(b) - bytesOf(a) || a - b)
  v.specialTokens = special
  const name = modelName.toLowerCase()
  if (name.includes('phi-3') || name.includes('phi3')) {
    // llama.cpp's per-model attribute fix: Phi-3 special tokens swallow the whitespace after them
    for (const id of special) v.attrs[id] = (v.attrs[id] as number) | ATTR.RSTRIP
    const set = (text: string, on: boolean): void => {
      const id = v.tokenToId.get(text)
      if (id !== undefined)
        v.attrs[id] = on ? (v.attrs[id] as number) | ATTR.RSTRIP : (v.attrs[id] as number) & ~ATTR.RSTRIP
    }
    set('</s>', true)
    for (const t of ['<unk>', '<s>', '<|endoftext|>']) set(t, false)
  }
}

function loadMerges(value: GgufValue | undefined): Map<string, number> {
  if (!Array.isArray(value)) throw new Error('Cannot create tokenizer: the BPE model has no tokenizer.ggml.merges')
  const ranks = new Map<string, number>()
  value.forEach((merge, i) => {
    const word = String(merge)
    const pos = word.indexOf(' ', 1)
    const key = pos < 0 ? ' ' : word
    if (!ranks.has(key)) ranks.set(key, i)
  })
  return ranks
}

function utf8ByteLength(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? (i++, 4) : 3
  }
  return n
}

function str(value: GgufValue | undefined): string | null {
  return typeof value === 'string' ? value : null
}

function arr(value: GgufValue | undefined): GgufValue[] | null {
  return Array.isArray(value) ? value : null
}
