import t from 'tap'
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { GgufHeader, GgufValue } from '../../../src/engine/gguf/gguf.js'
import { pretokenizerRegexes, splitWords } from '../../../src/engine/tokenizer/bpe-pretokenize.js'
import { createTokenizer } from '../../../src/engine/tokenizer/tokenizer.js'
import { byteEncode } from '../../../src/engine/tokenizer/unicode.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

// A tiny byte-level BPE vocabulary: the 256 byte characters, a few merges and two control tokens.
const MERGES = ['Ġ t', 'h e', 'Ġt he', 'l l', 'll o', 'Ġ w', 'o r', 'Ġw or', 'l d', 'Ġwor ld']
function bpeHeader(pre: string, kv: Record<string, GgufValue> = {}): GgufHeader {
  const tokens = Array.from({ length: 256 }, (_, b) => byteEncode(Uint8Array.of(b)))
  tokens.push(...MERGES.map((m) => m.replace(' ', '')), 'hello', '<|endoftext|>', '<|im_start|>')
  const types = tokens.map((tok) => (tok.startsWith('<|') ? 3 : 1))
  return {
    version: 3,
    tensors: [],
    alignment: 32,
    dataOffset: 0,
    fileSize: 0,
    kv: new Map<string, GgufValue>(
      Object.entries({
        'general.architecture': 'gpt2',
        'tokenizer.ggml.model': 'gpt2',
        'tokenizer.ggml.pre': pre,
        'tokenizer.ggml.tokens': tokens,
        'tokenizer.ggml.token_type': types,
        'tokenizer.ggml.merges': MERGES,
        'tokenizer.ggml.bos_token_id': tokens.indexOf('<|endoftext|>'),
        'tokenizer.ggml.eos_token_id': tokens.indexOf('<|endoftext|>'),
        ...kv,
      }),
    ),
  }
}
const id = (h: GgufHeader, text: string): number => (h.kv.get('tokenizer.ggml.tokens') as string[]).indexOf(text)

t.test('BPE merges by rank and maps other bytes to byte-level tokens', async (t) => {
  const h = bpeHeader('gpt-2')
  const tk = createTokenizer(h)
  t.equal(tk.type, 'bpe')
  t.same(tk.tokenize(' the world', { addSpecial: false }), [id(h, 'Ġthe'), id(h, 'Ġworld')])
  // "hello": h+e (rank 1), l+l (rank 3), ll+o (rank 4); the whole-word token "hello" is not used without ignore_merges
  t.same(tk.tokenize('hello'), [id(h, 'he'), id(h, 'llo')])
  const e = tk.tokenize('é', { addSpecial: false })
  t.same(e, [0xc3, 0xa9], 'é is the bytes C3 A9, whose byte-level tokens have ids 0xC3 and 0xA9 here')
  for (const text of [' the world', 'hello, world!', 'é 🦙 我想', "it's 3 o'clock\n\tdone  "]) {
    t.equal(tk.detokenize(tk.tokenize(text, { addSpecial: false })), text.replace(' ,', ','), JSON.stringify(text))
  }
  t.same(tk.pieceBytes(id(h, 'Ġthe')), new TextEncoder().encode(' the'))
})

t.test('BPE llama3 pre-tokenizer ignores merges for whole words and adds BOS', async (t) => {
  const h = bpeHeader('llama-bpe')
  const tk = createTokenizer(h)
  t.same(tk.tokenize('hello', { addSpecial: false }), [id(h, 'hello')])
  t.same(tk.tokenize('hello'), [id(h, '<|endoftext|>'), id(h, 'hello')])
  t.same(tk.tokenize('<|im_start|>hello', { addSpecial: false, parseSpecial: true }), [
    id(h, '<|im_start|>'),
    id(h, 'hello'),
  ])
  t.notOk(tk.tokenize('<|im_start|>hello', { addSpecial: false }).includes(id(h, '<|im_start|>')))
})

t.test('BPE detokenize cleans spaces before punctuation for gpt2 but not for qwen2', async (t) => {
  const ids = (tk: ReturnType<typeof createTokenizer>): number[] => tk.tokenize('a , b ! c', { addSpecial: false })
  const gpt2 = createTokenizer(bpeHeader('gpt-2'))
  t.equal(gpt2.detokenize(ids(gpt2)), 'a, b! c')
  const qwen = createTokenizer(bpeHeader('qwen2'))
  t.equal(qwen.detokenize(ids(qwen)), 'a , b ! c')
})

t.test('an unknown pre-tokenizer falls back to GPT-2 with a warning', async (t) => {
  const warnings: string[] = []
  const tk = createTokenizer(bpeHeader('some-new-model'), { warn: (m) => warnings.push(m) })
  t.equal(warnings.length, 1)
  t.match(warnings[0], /'some-new-model' is not implemented, using the GPT-2 regex/)
  t.equal(tk.detokenize(tk.tokenize(' the world')), ' the world')
})

t.test('pre-tokenizer splits', async (t) => {
  const split = (pre: string, text: string): string[] => splitWords(text, pretokenizerRegexes(pre).regexes)
  t.same(split('gpt-2', "it's 12345 hello  world!!"), ['it', "'s", ' 12345', ' hello', ' ', ' world', '!!'])
  t.same(split('llama3', "IT'S 12345 hello\n\nworld"), ['IT', "'S", ' ', '123', '45', ' hello', '\n\n', 'world'])
  t.same(split('qwen2', 'x 123'), ['x', ' ', '1', '2', '3'])
  t.same(split('default', 'a+b 1234'), ['a', '+', 'b', ' ', '123', '4'])
  t.same(pretokenizerRegexes('llama-bpe'), pretokenizerRegexes('llama3'))
  t.equal(pretokenizerRegexes('nope').known, false)
})

t.test('hand-written GPT-2 and Llama-3 splitters agree with the same regexes run by the JS engine', async (t) => {
  const raw = await readFile(join(repoRoot, 'test/fixtures/tokenizer/ggml-vocab-bert-bge.gguf.inp'), 'utf8')
  const texts = [
    ...raw.split('\n__ggml_vocab_test__\n'),
    "Don'T 'LL 've\r\n \u00a0x\u3000y\u2028z  \t",
    'ab\u0085cd  \n  ',
  ]
  const gpt2 = pretokenizerRegexes('gpt2').regexes[0] as string
  const llama3 = pretokenizerRegexes('llama3').regexes[0] as string
  for (const [i, text] of texts.entries()) {
    // wrapping the pattern defeats the exact-string check that selects the hand-written splitter
    t.same(splitWords(text, [gpt2]), splitWords(text, [`(?:${gpt2})|\\s+`]), `gpt2, text ${i}`)
    t.same(splitWords(text, [llama3]), splitWords(text, [`(?:${llama3})`]), `llama3, text ${i}`)
  }
})
