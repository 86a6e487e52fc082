// Random-weight llama GGUF files of realistic shapes, for timing only (the output is gibberish).
import { rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { readGgufHeader, type GgufValue } from '../src/engine/gguf/gguf.js'
import { layoutGguf, writeGguf, type GgufKv, type GgufTensorSpec, type TensorFiller } from './gguf-writer.js'
import { SHARED_MODELS_DIR } from './paths.js'
import {
  GGML_TYPE,
  QUANT_BLOCK,
  SeededRandom,
  f32Fill,
  quantBlocks,
  quantTypeOf,
  type QuantType,
} from './quant-blocks.js'

/** The dimensions of a llama model. */
export type SynthShape = { n_embd: number; n_layer: number; n_ff: number; n_head: number; n_head_kv: number }

/** Named model shapes. */
export type SynthPreset = '135m' | '360m' | '600m' | '1b'

/**
 * Shaped like SmolLM2-135M, SmolLM2-360M (tied embeddings), Qwen3-0.6B's widths in a llama layout (head size 64) and
 * TinyLlama-1.1B, with the vocab of --vocab-from. K-quants need rows of a multiple of 256 weights: 600m and 1b have
 * them, the SmolLM2 shapes (576, 960) do not (llama.cpp's Q4_K_M falls back to Q5_0 there).
 */
export const SYNTH_PRESETS: Record<SynthPreset, SynthShape> = {
  '135m': { n_embd: 576, n_layer: 30, n_ff: 1536, n_head: 9, n_head_kv: 3 },
  '360m': { n_embd: 960, n_layer: 32, n_ff: 2560, n_head: 15, n_head_kv: 5 },
  '600m': { n_embd: 1024, n_layer: 28, n_ff: 3072, n_head: 16, n_head_kv: 8 },
  '1b': { n_embd: 2048, n_layer: 22, n_ff: 5632, n_head: 32, n_head_kv: 4 },
}

/** The tokenizer source used unless another is given: the 32k llama-2 SPM vocab. */
export const DEFAULT_VOCAB = path.join(SHARED_MODELS_DIR, 'llama-2-tiny-random.gguf')

/** The default PRNG seed. */
export const DEFAULT_SEED = 1

/** A weight format for every matrix, or llama.cpp's Q4_K_M / Q5_K_M mixes. */
export type SynthType = QuantType | 'q4_k_m' | 'q5_k_m'

export const SYNTH_TYPES: readonly SynthType[] = ['q8_0', 'q4_0', 'q4_k', 'q5_k', 'q6_k', 'q4_k_m', 'q5_k_m']

// general.file_type (llama.cpp's LLAMA_FTYPE_MOSTLY_*; a file of Q4_K/Q5_K only is what its _S variants mostly are)
const FILE_TYPE: Record<SynthType, number> = { q8_0: 7, q4_0: 2, q4_k: 14, q5_k: 16, q6_k: 18, q4_k_m: 15, q5_k_m: 17 }

/** What to generate: a shape, the weight format, where the tokenizer comes from, the seed. */
export type SynthOptions = { shape: SynthShape; type: SynthType; vocabFrom?: string; seed?: number; name?: string }

type Role = 'output' | 'attn_v' | 'ffn_down' | 'other'

/**
 * The format of one matrix. The _M mixes follow llama.cpp's llama_tensor_get_type(): the output (here the tied token
 * embedding) in Q6_K, attn_v and ffn_down in Q6_K on the first and last eighth of the layers and every third between
 * (use_more_bits), the rest in Q4_K / Q5_K.
 */
export function tensorQuant(type: SynthType, role: Role, layer: number, nLayer: number): QuantType {
  if (type !== 'q4_k_m' && type !== 'q5_k_m') return type
  const base = type === 'q4_k_m' ? 'q4_k' : 'q5_k'
  if (role === 'output') return 'q6_k'
  if (role === 'other') return base
  const eighth = Math.floor(nLayer / 8)
  const moreBits = layer < eighth || layer >= Math.floor((7 * nLayer) / 8) || (layer - eighth) % 3 === 2
  return moreBits ? 'q6_k' : base
}

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
  const tensors: GgufTensorSpec[] = []
  const weight = (name: string, ne0: number, ne1: number, role: Role = 'other', layer = 0): void => {
    const block = QUANT_BLOCK[tensorQuant(type, role, layer, shape.n_layer)]
    if (ne0 % block.weights !== 0)
      throw new Error(`Cannot plan tensor '${name}': row size ${ne0} is not a multiple of ${block.weights}`)
    tensors.push({ name, dims: [ne0, ne1], type: block.ggmlType, bytes: ((ne0 * ne1) / block.weights) * block.bytes })
  }
  const norm = (name: string): void => {
    tensors.push({ name, dims: [shape.n_embd], type: GGML_TYPE.F32, bytes: shape.n_embd * 4 })
  }
  const kvDim = headDim * shape.n_head_kv
  weight('token_embd.weight', shape.n_embd, vocab.size, 'output') // tied: also the output projection
  for (let l = 0; l < shape.n_layer; l++) {
    norm(`blk.${l}.attn_norm.weight`)
    weight(`blk.${l}.attn_q.weight`, shape.n_embd, shape.n_embd)
    weight(`blk.${l}.attn_k.weight`, shape.n_embd, kvDim)
    weight(`blk.${l}.attn_v.weight`, shape.n_embd, kvDim, 'attn_v', l)
    weight(`blk.${l}.attn_output.weight`, shape.n_embd, shape.n_embd)
    norm(`blk.${l}.ffn_norm.weight`)
    weight(`blk.${l}.ffn_gate.weight`, shape.n_embd, shape.n_ff)
    weight(`blk.${l}.ffn_up.weight`, shape.n_embd, shape.n_ff)
    weight(`blk.${l}.ffn_down.weight`, shape.n_ff, shape.n_embd, 'ffn_down', l)
  }
  norm('output_norm.weight')
  const kv: Array<[string, GgufKv]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: options.name ?? `synthetic-llama-${type}` }],
    ['general.file_type', { type: 'u32', value: FILE_TYPE[type] }],
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
  const fill: TensorFiller = (tensor) => {
    if (tensor.type === GGML_TYPE.F32) return f32Fill(tensor.bytes / 4, 1)
    const quant = quantTypeOf(tensor.type)
    if (!quant) throw new Error(`Cannot fill tensor '${tensor.name}': ggml type ${tensor.type}`)
    return quantBlocks(quant, tensor.bytes / QUANT_BLOCK[quant].bytes, rng)
  }
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
