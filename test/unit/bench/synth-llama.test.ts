import t, { type Test } from 'tap'
import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readGgufHeader } from '../../../src/engine/gguf/gguf.js'
import { checkModel } from '../../../src/engine/gguf/model-check.js'
import { tensorByteSize } from '../../../src/engine/gguf/tensor-bytes.js'
import { f16Bits, GGML_TYPE, QUANT_BLOCK } from '../../../bench/quant-blocks.js'
import {
  DEFAULT_VOCAB,
  SYNTH_PRESETS,
  planSynthLlama,
  tensorQuant,
  writeSynthLlama,
} from '../../../bench/synth-llama.js'

const TINY = { n_embd: 64, n_layer: 2, n_ff: 128, n_head: 4, n_head_kv: 2 }

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'synth-gguf-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r')
  try {
    const buf = Buffer.alloc(length)
    await handle.read(buf, 0, length, offset)
    return buf
  } finally {
    await handle.close()
  }
}

for (const type of ['q8_0', 'q4_0'] as const) {
  t.test(`writeSynthLlama() writes a ${type} llama GGUF that reads back with the 32k vocab`, async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'tiny.gguf')
    const plan = await writeSynthLlama(file, { shape: TINY, type })
    const h = await readGgufHeader(file)
    t.equal(h.fileSize, plan.fileSize)
    t.equal(h.kv.get('general.architecture'), 'llama')
    t.equal(h.kv.get('llama.embedding_length'), 64)
    t.equal(h.kv.get('llama.attention.head_count_kv'), 2)
    t.equal(h.kv.get('llama.rope.dimension_count'), 16)
    t.equal(h.kv.get('tokenizer.ggml.model'), 'llama')
    t.equal((h.kv.get('tokenizer.ggml.tokens') as string[]).length, 32000)
    t.equal(h.kv.get('tokenizer.ggml.bos_token_id'), 1)
    t.equal(h.tensors.length, 1 + 9 * 2 + 1)
    t.same(h.tensors[0]?.dims, [64, 32000])
    // every tensor is sized as ggml computes it and the last one ends exactly at the end of the file
    for (const [i, info] of h.tensors.entries()) t.equal(tensorByteSize(info), plan.tensors[i]?.bytes, info.name)
    const last = h.tensors.at(-1)
    t.equal(last?.name, 'output_norm.weight')
    t.equal(h.dataOffset + (last?.offset ?? 0) + 64 * 4, h.fileSize)
    // norms are f32 ones; weight blocks start with the f16 scale
    t.same(
      [...new Float32Array((await readAt(file, h.dataOffset + (last?.offset ?? 0), 256)).buffer.slice(0))],
      new Array<number>(64).fill(1),
    )
    const block = QUANT_BLOCK[type]
    const blocks = await readAt(file, h.dataOffset + (h.tensors[1 + 1]?.offset ?? 0), block.bytes * 2)
    const [[at, scale]] = block.halves as [[number, number]]
    t.equal(blocks.readUInt16LE(at), f16Bits(scale))
    t.equal(blocks.readUInt16LE(block.bytes + at), f16Bits(scale))
    // the engine's own pre-load check accepts it
    const info = await checkModel(file, { build: 'main', nCtx: 512 })
    t.equal(info.vocabSize, 32000)
  })
}

t.test('writeSynthLlama() is deterministic for a seed and differs across seeds', async (t) => {
  const dir = await tempDir(t)
  const [a, b, c] = ['a', 'b', 'c'].map((n) => join(dir, `${n}.gguf`)) as [string, string, string]
  await writeSynthLlama(a, { shape: TINY, type: 'q8_0', seed: 7 })
  await writeSynthLlama(b, { shape: TINY, type: 'q8_0', seed: 7 })
  await writeSynthLlama(c, { shape: TINY, type: 'q8_0', seed: 8 })
  const [ba, bb, bc] = await Promise.all([readFile(a), readFile(b), readFile(c)])
  t.ok(ba.equals(bb), 'same seed, same bytes')
  t.notOk(ba.equals(bc), 'another seed, other bytes')
  t.equal(ba.length, bc.length)
})

t.test('planSynthLlama() gives the 135m q8_0 preset its real size without writing it', async (t) => {
  const plan = await planSynthLlama({ shape: SYNTH_PRESETS['135m'], type: 'q8_0', vocabFrom: DEFAULT_VOCAB })
  t.equal(plan.tensors.length, 272)
  const layer = 2 * 576 * 576 + 2 * 576 * 192 + 3 * 576 * 1536 + 2 * 576
  t.equal(plan.params, 576 * 32000 + 30 * layer + 576)
  t.ok(plan.fileSize > 132e6 && plan.fileSize < 134e6, `~133 MB, got ${plan.fileSize}`)
})

t.test('f16Bits() encodes numbers like IEEE half precision, subnormals included', async (t) => {
  t.equal(f16Bits(1), 0x3c00)
  t.equal(f16Bits(-2), 0xc000)
  t.equal(f16Bits(0.5), 0x3800)
  t.equal(f16Bits(65504), 0x7bff)
  t.equal(f16Bits(2 ** -14), 0x0400, 'smallest normal')
  t.equal(f16Bits(2 ** -24), 0x0001, 'smallest subnormal')
  t.equal(f16Bits(-3 * 2 ** -24), 0x8003)
  t.equal(f16Bits(0.02 / (73.9 * 18.5)), 245, "Q6_K's d: 1.46e-5 = 245 x 2^-24")
  t.throws(() => f16Bits(1e6))
})

// rows of 256 weights, as K-quants need; 16 layers so the Q4_K_M mix has both kinds of layer
const KSHAPE = { n_embd: 256, n_layer: 16, n_ff: 512, n_head: 4, n_head_kv: 2 }

t.test('tensorQuant() follows llama.cpp Q4_K_M / Q5_K_M: output and use_more_bits layers in Q6_K', async (t) => {
  const more = [0, 1, 4, 7, 10, 13, 14, 15] // n/8 = 2, 7n/8 = 14, (i - 2) % 3 == 2
  for (let l = 0; l < 16; l++) {
    const want = more.includes(l) ? 'q6_k' : 'q4_k'
    t.equal(tensorQuant('q4_k_m', 'attn_v', l, 16), want, `attn_v layer ${l}`)
    t.equal(tensorQuant('q4_k_m', 'ffn_down', l, 16), want, `ffn_down layer ${l}`)
    t.equal(tensorQuant('q4_k_m', 'other', l, 16), 'q4_k')
  }
  t.equal(tensorQuant('q5_k_m', 'ffn_down', 3, 16), 'q5_k')
  t.equal(tensorQuant('q5_k_m', 'output', 0, 16), 'q6_k')
  t.equal(tensorQuant('q8_0', 'output', 0, 16), 'q8_0', 'single formats apply everywhere')
})

t.test('writeSynthLlama() writes a Q4_K_M mix with each block format sized and scaled as ggml reads it', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'k.gguf')
  const plan = await writeSynthLlama(file, { shape: KSHAPE, type: 'q4_k_m' })
  const h = await readGgufHeader(file)
  t.equal(h.fileSize, plan.fileSize)
  t.equal(h.kv.get('general.file_type'), 15, 'LLAMA_FTYPE_MOSTLY_Q4_K_M')
  const typeOf = (name: string): number | undefined => h.tensors.find((x) => x.name === name)?.type
  t.equal(typeOf('token_embd.weight'), GGML_TYPE.Q6_K)
  t.equal(typeOf('blk.0.attn_v.weight'), GGML_TYPE.Q6_K)
  t.equal(typeOf('blk.2.attn_v.weight'), GGML_TYPE.Q4_K)
  t.equal(typeOf('blk.4.ffn_down.weight'), GGML_TYPE.Q6_K)
  t.equal(typeOf('blk.3.ffn_gate.weight'), GGML_TYPE.Q4_K)
  for (const [i, info] of h.tensors.entries()) t.equal(tensorByteSize(info), plan.tensors[i]?.bytes, info.name)
  for (const name of ['token_embd.weight', 'blk.2.attn_v.weight']) {
    const info = h.tensors.find((x) => x.name === name)
    const block = QUANT_BLOCK[info?.type === GGML_TYPE.Q6_K ? 'q6_k' : 'q4_k']
    const bytes = await readAt(file, h.dataOffset + (info?.offset ?? 0), block.bytes * 2)
    for (const [at, value] of block.halves) {
      t.equal(bytes.readUInt16LE(at), f16Bits(value), `${name}: f16 at ${at} of block 1`)
      t.equal(bytes.readUInt16LE(block.bytes + at), f16Bits(value), `${name}: f16 at ${at} of block 2`)
    }
  }
  const info = await checkModel(file, { build: 'main', nCtx: 512 })
  t.equal(info.vocabSize, 32000)
})

t.test('planSynthLlama() refuses K-quants on rows that are not a multiple of 256', async (t) => {
  await t.rejects(
    planSynthLlama({ shape: SYNTH_PRESETS['135m'], type: 'q4_k' }),
    /row size 576 is not a multiple of 256/,
  )
  const plan = await planSynthLlama({ shape: SYNTH_PRESETS['600m'], type: 'q4_k_m' })
  t.ok(plan.fileSize > 200e6 && plan.fileSize < 300e6, `600m Q4_K_M ~250 MB, got ${plan.fileSize}`)
})
