import t from 'tap'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readGgufHeader } from '../../../src/engine/gguf/gguf.js'
import { createTokenizer, type Tokenizer } from '../../../src/engine/tokenizer/tokenizer.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const models = resolve(repoRoot, '../shared/models')
const load = async (file: string): Promise<Tokenizer> => createTokenizer(await readGgufHeader(join(models, file)))

const ROUND_TRIP_TEXTS = [
  'Once upon a time, there was a little girl named Lily.',
  'Hello world',
  '  two leading spaces and two trailing  ',
  'tabs\tand\nnew\n\nlines\r\n',
  'emoji: I ❤️ 🦙 llamas 😶‍🌫️ 👩‍👩‍👧',
  'CJK: 我想在apple工作1314151天～ 日本語のテキスト 한국어',
  'accents: Führer, Äpfel, naïve café, Cửa Việt',
  'symbols: ½ ∑ → «quoted» — “curly” ‘single’',
  '',
]

for (const file of ['stories260K.gguf', 'llama-2-tiny-random.gguf']) {
  t.test(`SPM detokenize(tokenize(x)) returns x for ${file}`, async (t) => {
    const tk = await load(file)
    t.equal(tk.type, 'spm')
    for (const text of ROUND_TRIP_TEXTS) {
      const ids = tk.tokenize(text, { addSpecial: false })
      t.equal(tk.detokenize(ids), text, JSON.stringify(text))
    }
  })
}

t.test('SPM falls back to <0xXX> byte tokens for characters the vocabulary lacks', async (t) => {
  const tk = await load('stories260K.gguf')
  // stories260K has 512 tokens: ids 3..258 are <0x00>..<0xFF>, so a byte b is token b + 3
  const llama = [...new TextEncoder().encode('🦙')].map((b) => b + 3)
  const ids = tk.tokenize('🦙', { addSpecial: false })
  t.same(ids.slice(-4), llama)
  t.same(tk.pieceBytes(ids.at(-1) as number), Uint8Array.of(0x99))
  t.equal(tk.detokenize(ids), '🦙')
  // a lone byte of a multi-byte character decodes to U+FFFD instead of throwing
  t.equal(tk.detokenize([0xf0 + 3]), '\uFFFD')
  t.equal(tk.detokenize([0xf0 + 3, 0x9f + 3]), '\uFFFD')
})

t.test('SPM adds BOS by default and detokenize(removeSpecial) drops it', async (t) => {
  const tk = await load('stories260K.gguf')
  t.equal(tk.bos, 1)
  t.equal(tk.eos, 2)
  t.equal(tk.vocabSize, 512)
  const ids = tk.tokenize('Hello')
  t.equal(ids[0], 1)
  t.same(ids.slice(1), tk.tokenize('Hello', { addSpecial: false }))
  t.same(tk.tokenize(''), [1])
  t.same(tk.tokenize('', { addSpecial: false }), [])
  // a control token renders as nothing by default, and (as in llama.cpp) only the first piece loses its space
  t.equal(tk.detokenize(ids), ' Hello')
  t.equal(tk.detokenize(ids, { unparseSpecial: true }), '<s> Hello')
  // as in llama.cpp, removing the BOS keeps the space the tokenizer put after it
  t.equal(tk.detokenize(ids, { removeSpecial: true }), ' Hello')
})

t.test('control tokens are matched in text only with parseSpecial', async (t) => {
  const tk = await load('vocab/ggml-vocab-phi-3.gguf')
  t.equal(tk.eos, 32000)
  t.ok(tk.eog.has(32007), '<|end|> ends generation')
  const text = '<|user|>\nHi<|end|>'
  const parsed = tk.tokenize(text, { parseSpecial: true })
  // Phi-3 special tokens strip the whitespace after them (llama.cpp sets RSTRIP for this model)
  t.same(parsed, [1, 32010, 6324, 32007])
  const plain = tk.tokenize(text, { addSpecial: false, parseSpecial: false })
  t.notOk(plain.includes(32010))
  t.equal(tk.detokenize(plain), text)
  t.equal(tk.detokenize(parsed, { unparseSpecial: true }), '<s><|user|> Hi<|end|>')
  t.same(tk.pieceBytes(32010), new TextEncoder().encode('<|user|>'))
  t.same(tk.pieceBytes(32010, { special: false }), new Uint8Array(0))
})

t.test('WPM adds [CLS] and [SEP], lowercases, strips accents and joins word pieces', async (t) => {
  const tk = await load('vocab/ggml-vocab-bert-bge.gguf')
  t.equal(tk.type, 'wpm')
  t.equal(tk.bos, 101)
  const ids = tk.tokenize('Hello, Wörld!')
  t.equal(ids[0], 101)
  t.equal(ids.at(-1), 102)
  t.same(ids, [101, 7592, 1010, 2088, 999, 102])
  // word pieces (no U+2581 in the vocabulary entry) join the previous piece; cleanup removes " ," and " !"
  t.same(tk.tokenize('dsdfhu', { addSpecial: false }), [16233, 20952, 6979])
  t.equal(tk.detokenize(tk.tokenize('dsdfhu', { addSpecial: false })), ' dsdfhu')
  t.equal(tk.detokenize(ids, { removeSpecial: true }), ' hello, world!')
  t.same(tk.tokenize('🦙', { addSpecial: false }), [100], 'unknown words become [UNK]')
})

t.test('detokenize() rejects ids outside the vocabulary', async (t) => {
  const tk = await load('stories260K.gguf')
  t.throws(() => tk.detokenize([512]), RangeError)
})
