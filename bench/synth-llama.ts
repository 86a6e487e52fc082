// Random-weight llama GGUF files of realistic shapes, for timing only (the output is gibberish).
import { rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { readGgufHeader, type GgufValue } from '../src/engine/gguf/gguf.js'
import { layoutGguf, writeGguf, type GgufKv, type GgufTensorSpec, type TensorFiller } from './gguf-writer.js'
import { SHARED_MODELS_DIR } from './paths.js'
import { GGML_TYPE, QUANT_BLOCK, SeededRandom, f32Fill, quantBlocks, type QuantType } from './quant-blocks.js'

/** The dimensions of a llama model. */
export type SynthShape = { n_embd: number; n_layer: number; n_ff: number; n_head: number; n_head_kv: number }

/** Named model shapes. */
export type SynthPreset = '135m' | '360m' | '1b'

/** Shaped like SmolLM2-135M, SmolLM2-360M (tied embeddings) and TinyLlama-1.1B, with the vocab of --vocab-from. */
export const SYNTH_PRESETS: Record<SynthPreset, SynthShape> = {
  '135m': { n_embd: 576, n_layer: 30, n_ff: 1536, n_head: 9, n_head_kv: 3 },
  '360m': { n_embd: 960, n_layer: 32, n_ff: 2560, n_head: 15, n_head_kv: 5 },
  '1b': { n_embd: 2048, n_layer: 22, n_ff: 5632, n_head: 32, n_head_kv: 4 },
}

/** The tokenizer source used unless another is given: the 32k llama-2 SPM vocab. */
export const DEFAULT_VOCAB = path.join(SHARED_MODELS_DIR, 'llama-2-tiny-random.gguf')

/** The default PRNG seed. */
export const DEFAULT_SEED = 1

/** What to generate: a shape, the weight format, where the tokenizer comes from, the seed. */
export type SynthOptions = { shape: SynthShape; type: QuantType; vocabFrom?: string; seed?: number; name?: string }

/** A planned file: metadata, tensor table and its exact size. */
export type SynthPlan = { kv: Array<[string, GgufKv]>; tensors: GgufTensorSpec[]; fileSize: number; params: number }

/** Works out the metadata and tensor table of a synthetic model (reads only the vocab file's header). */
export async function planSynthLlama(options: SynthOptions): Promise<SynthPlan> {
  const { shape, type } = options
  const headDim = shape.n_embd / shape.n_head
  if (!Number.isInteger(headDim) || shape.n_head % shape.n_head_kv !== 0) {
    throw new Error(
      `Cannot plan model: n_embd ${shape.n_embd}, n_head ${shape.n_head}, n_head_kv ${shape.n_head_kv} do not divide`,
    )
  }
  const vocab = await readVocab(options.vocabFrom ?? DEFAULT_VOCAB)
  const block = QUANT_BLOCK[type]
  const tensors: GgufTensorSpec[] = []
  const weight = (name: string, ne0: number, ne1: number): void => {
    if (ne0 % block.weights !== 0)
      throw new Error(`Cannot plan tensor '${name}': row size ${ne0} is not a multiple of ${block.weights}`)
    tensors.push({ name, dims: [ne0, ne1], type: block.ggmlType, bytes: ((ne0 * ne1) / block.weights) * block.bytes })
  }
  const norm = (name: string): void => {
    tensors.push({ name, dims: [shape.n_embd], type: GGML_TYPE.F32, bytes: shape.n_embd * 4 })
  }
  const kvDim = headDim * shape.n_head_kv
  weight('token_embd.weight', shape.n_embd, vocab.size) // tied: also the output projection
  for (let l = 0; l < shape.n_layer; l++) {
    norm(`blk.${l}.attn_norm.weight`)
    weight(`blk.${l}.attn_q.weight`, shape.n_embd, shape.n_embd)
    weight(`blk.${l}.attn_k.weight`, shape.n_embd, kvDim)
    weight(`blk.${l}.attn_v.weight`, shape.n_embd, kvDim)
    weight(`blk.${l}.attn_output.weight`, shape.n_embd, shape.n_embd)
    norm(`blk.${l}.ffn_norm.weight`)
    weight(`blk.${l}.ffn_gate.weight`, shape.n_embd, shape.n_ff)
    weight(`blk.${l}.ffn_up.weight`, shape.n_embd, shape.n_ff)
    weight(`blk.${l}.ffn_down.weight`, shape.n_ff, shape.n_embd)
  }
  norm('output_norm.weight')
  const kv: Array<[string, GgufKv]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: options.name ?? `synthetic-llama-${type}` }],
    ['general.file_type', { type: 'u32', value: type === 'q8_0' ? 7 : 2 }], // LLAMA_FTYPE_MOSTLY_Q8_0 / _Q4_0
    ['llama.context_length', { type: 'u32', value: 4096 }],
    ['llama.embedding_length', { type: 'u32', value: shape.n_embd }],
    ['llama.block_count', { type: 'u32', value: shape.n_layer }],
    ['llama.feed_forward_length', { type: 'u32', value: shape.n_ff }],
    ['llama.rope.dimension_count', { type: 'u32', value: headDim }],
    ['llama.attention.head_count', { type: 'u32', value: shape.n_head }],
    ['llama.attention.head_count_kv', { type: 'u32', value: shape.n_head_kv }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['llama.vocab_size', { type: 'u32', value: vocab.size }],
    ...vocab.kv,
  ]
  const params = tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0)
  return { kv, tensors, fileSize: layoutGguf(kv, tensors).fileSize, params }
}

/** Writes a synthetic model to `out` (through a temp file renamed into place); returns its plan. */
export async function writeSynthLlama(out: string, options: SynthOptions): Promise<SynthPlan> {
  const plan = await planSynthLlama(options)
  const rng = new SeededRandom(options.seed ?? DEFAULT_SEED)
  const fill: TensorFiller = (tensor) =>
    tensor.type === GGML_TYPE.F32
      ? f32Fill(tensor.bytes / 4, 1)
      : quantBlocks(options.type, tensor.bytes / QUANT_BLOCK[options.type].bytes, rng)
  const temp = `${out}.${process.pid}.tmp`
  try {
    await writeGguf(temp, plan.kv, { tensors: plan.tensors, fill })
    await rename(temp, out)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  return plan
}

/** Copies the tokenizer.ggml.* metadata of a GGUF file, with the value types llama.cpp expects. */
async function readVocab(file: string): Promise<{ kv: Array<[string, GgufKv]>; size: number }> {
  const header = await readGgufHeader(file)
  const tokens = header.kv.get('tokenizer.ggml.tokens')
  if (!Array.isArray(tokens) || tokens.length === 0 || !header.kv.has('tokenizer.ggml.model')) {
    throw new Error(`Cannot take the vocab from ${file}: no tokenizer.ggml.model/tokens`)
  }
  const kv: Array<[string, GgufKv]> = []
  for (const [key, value] of header.kv) {
    if (key.startsWith('tokenizer.ggml.')) kv.push([key, toKv(key, value)])
  }
  return { kv, size: tokens.length }
}

function toKv(key: string, value: GgufValue): GgufKv {
  if (typeof value === 'string') return { type: 'string', value }
  if (typeof value === 'boolean') return { type: 'bool', value }
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 0 ? { type: 'u32', value } : { type: 'f32', value }
  if (Array.isArray(value)) {
    if (value.every((v): v is string => typeof v === 'string')) return { type: 'string[]', value }
    if (value.every((v): v is number => typeof v === 'number')) {
      return key.endsWith('.scores') ? { type: 'f32[]', value } : { type: 'i32[]', value }
    }
  }
  throw new Error(`Cannot copy vocab key '${key}': unsupported value`)
}
