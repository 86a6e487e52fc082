// Random quantized weight blocks for synthetic models: a seeded sfc32 stream, so files are reproducible.

/** ggml tensor type ids used by the synthetic models. */
export const GGML_TYPE = { F32: 0, Q4_0: 2, Q8_0: 8 } as const

/** Quantized formats the synthetic models can use. */
export type QuantType = 'q8_0' | 'q4_0'

/** Weights per block and bytes per block (f16 scale + payload) for each format. */
export const QUANT_BLOCK: Record<QuantType, { ggmlType: number; weights: number; bytes: number; scale: number }> = {
  // Q8_0: d (f16) + 32 x int8; int8 uniform in [-128, 127] has std ~73.9, so d = 0.02 / 73.9 gives std ~0.02
  q8_0: { ggmlType: GGML_TYPE.Q8_0, weights: 32, bytes: 34, scale: 0.02 / 73.9 },
  // Q4_0: d (f16) + 16 bytes of nibble pairs, w = (q - 8) * d; q uniform in [0, 15] has std ~4.61
  q4_0: { ggmlType: GGML_TYPE.Q4_0, weights: 32, bytes: 18, scale: 0.02 / 4.61 },
}

const BLOCKS_PER_CHUNK = 32768

/** Yields `blocks` random blocks of `type` in chunks of up to 32768 blocks (the chunk buffer is reused). */
export function* quantBlocks(type: QuantType, blocks: number, rng: SeededRandom): Generator<Uint8Array> {
  const spec = QUANT_BLOCK[type]
  const scale = f16Bits(spec.scale)
  const maxBytes = Math.min(blocks, BLOCKS_PER_CHUNK) * spec.bytes
  const buffer = new ArrayBuffer(Math.ceil(maxBytes / 4) * 4)
  const words = new Uint32Array(buffer)
  const bytes = new Uint8Array(buffer)
  for (let done = 0; done < blocks; done += BLOCKS_PER_CHUNK) {
    const n = Math.min(BLOCKS_PER_CHUNK, blocks - done)
    const len = n * spec.bytes
    rng.fill(words.subarray(0, Math.ceil(len / 4)))
    for (let off = 0; off < len; off += spec.bytes) {
      bytes[off] = scale & 0xff
      bytes[off + 1] = scale >>> 8
    }
    yield bytes.subarray(0, len)
  }
}

/** Yields `count` little-endian f32 values equal to `value` (norm weights). */
export function* f32Fill(count: number, value: number): Generator<Uint8Array> {
  const out = new Float32Array(count).fill(value)
  yield new Uint8Array(out.buffer)
}

/** A fast seeded PRNG (sfc32): not for cryptography, only for reproducible test data. */
export class SeededRandom {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    this.#a = 0x9e3779b9
    this.#b = 0x243f6a88
    this.#c = 0xb7e15162
    this.#d = seed >>> 0
    for (let i = 0; i < 15; i++) this.next() // mix the seed in
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (((this.#c << 21) | (this.#c >>> 11)) + t) | 0
    return t >>> 0
  }

  /** Fills `words` with the next values of the stream. */
  fill(words: Uint32Array): void {
    let a = this.#a,
      b = this.#b,
      c = this.#c,
      d = this.#d
    for (let i = 0; i < words.length; i++) {
      const t = (((a + b) | 0) + d) | 0
      d = (d + 1) | 0
      a = b ^ (b >>> 9)
      b = (c + (c << 3)) | 0
      c = (((c << 21) | (c >>> 11)) + t) | 0
      words[i] = t
    }
    this.#a = a
    this.#b = b
    this.#c = c
    this.#d = d
  }
}

/** IEEE half-precision bits of a normal finite number (round to nearest). */
export function f16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0] ?? 0
  const sign = u >>> 31
  let exp = ((u >>> 23) & 0xff) - 127 + 15
  let mant = Math.round((u & 0x7fffff) / 0x2000)
  if (mant === 0x400) {
    mant = 0
    exp++
  }
  if (exp <= 0 || exp >= 31) throw new Error(`Cannot encode ${x} as a normal f16`)
  return (sign << 15) | (exp << 10) | mant
}
