import t from 'tap'
import { readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readGgufHeader } from '../../../src/engine/gguf/gguf.js'
import { createTokenizer } from '../../../src/engine/tokenizer/tokenizer.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const models = resolve(repoRoot, '../shared/models')
const fixtures = join(repoRoot, 'test/fixtures/tokenizer')

// same parsing as llama.cpp's tests/test-tokenizer-0.cpp read_tests()
async function readVectors(name: string): Promise<Array<{ text: string; ids: number[] }>> {
  const raw = await readFile(join(fixtures, `${name}.inp`), 'utf8')
  const out = (await readFile(join(fixtures, `${name}.out`), 'utf8')).split('\n').slice(0, -1)
  const sep = '\n__ggml_vocab_test__\n'
  const inputs: string[] = []
  for (let pos = 0; pos < raw.length;) {
    const next = raw.indexOf(sep, pos)
    if (next < 0) {
      inputs.push(raw.slice(pos))
      break
    }
    inputs.push(raw.slice(pos, next))
    pos = next + sep.length
  }
  if (inputs.length !== out.length) throw new Error(`${name}: ${inputs.length} inputs but ${out.length} outputs`)
  return inputs.map((text, i) => ({ text, ids: (out[i] as string).trim().split(' ').filter(Boolean).map(Number) }))
}

for (const name of ['ggml-vocab-phi-3.gguf', 'ggml-vocab-bert-bge.gguf']) {
  t.test(`tokenize() matches every llama.cpp test vector of ${name}`, async (t) => {
    const tokenizer = createTokenizer(await readGgufHeader(join(models, 'vocab', name)))
    const vectors = await readVectors(name)
    t.equal(vectors.length, 46)
    for (const { text, ids } of vectors) {
      // test-tokenizer-0 tokenizes with add_special = false, parse_special = false
      t.same(tokenizer.tokenize(text, { addSpecial: false, parseSpecial: false }), ids, JSON.stringify(text))
    }
  })
}
