// Random quantized weight blocks for synthetic models: a seeded sfc32 stream, so files are reproducible.

/** ggml tensor type ids used by the synthetic models. */
export const GGML_TYPE = { F32: 0, Q4_0: 2, Q8_0: 8, Q4_K: 12, Q5_K: 13, Q6_K: 14 } as const

/** Quantized formats the synthetic models can use. */
export type QuantType = 'q8_0' | 'q4_0' | 'q4_k' | 'q5_k' | 'q6_k'

/**
 * One block format: ggml type id, weights and bytes per block, and the f16 fields written at fixed offsets of every
 * block (scales and mins); all other bytes are random. The f16 values are chosen so that weights have a std of about
 * 0.02 and, for the formats with a min, a mean near zero.
 */
export type QuantBlock = {
  ggmlType: number
  weights: number
  bytes: number
  halves: ReadonlyArray<readonly [offset: number, value: number]>
}

export const QUANT_BLOCK: Record<QuantType, QuantBlock> = {
  // Q8_0: d (f16) + 32 x int8; int8 uniform in [-128, 127] has std ~73.9, so d = 0.02 / 73.9 gives std ~0.02
  q8_0: { ggmlType: GGML_TYPE.Q8_0, weights: 32, bytes: 34, halves: [[0, 0.02 / 73.9]] },
  // Q4_0: d (f16) + 16 bytes of nibble pairs, w = (q - 8) * d; q uniform in [0, 15] has std ~4.61
  q4_0: { ggmlType: GGML_TYPE.Q4_0, weights: 32, bytes: 18, halves: [[0, 0.02 / 4.61]] },
  // Q4_K: d, dmin (f16), 12 bytes of 6-bit scales/mins for 8 sub-blocks of 32, 128 bytes of nibbles;
  // w = d * sc * q - dmin * m with sc, m uniform in [0, 63] (mean 31.5) and q in [0, 15] (mean 7.5, std 4.61)
  q4_k: { ggmlType: GGML_TYPE.Q4_K, weights: 256, bytes: 144, halves: kHalves(0.02 / (31.5 * 4.61), 7.5) },
  // Q5_K: as Q4_K plus 32 bytes of high bits: q in [0, 31] (mean 15.5, std 9.23)
  q5_k: { ggmlType: GGML_TYPE.Q5_K, weights: 256, bytes: 176, halves: kHalves(0.02 / (31.5 * 9.23), 15.5) },
  // Q6_K: 128 bytes low nibbles, 64 bytes high 2 bits, 16 int8 scales, d (f16) last; w = d * sc * (q - 32) with
  // sc uniform in [-128, 127] (rms ~73.9) and q in [0, 63] (std 18.5): d is an f16 subnormal
  q6_k: { ggmlType: GGML_TYPE.Q6_K, weights: 256, bytes: 210, halves: [[208, 0.02 / (73.9 * 18.5)]] },
}

/** d and dmin of Q4_K/Q5_K: dmin * mean(m) = d * mean(sc) * mean(q), so a sub-block's mean is zero on average. */
function kHalves(d: number, meanQ: number): ReadonlyArray<readonly [number, number]> {
  return [
    [0, d],
    [2, d * meanQ],
  ]
}

/** The synthetic format of a ggml type id, or undefined for types the writer does not make. */
export function quantTypeOf(ggmlType: number): QuantType | undefined {
  return (Object.keys(QUANT_BLOCK) as QuantType[]).find((type) => QUANT_BLOCK[type].ggmlType === ggmlType)
}

const BLOCKS_PER_CHUNK = 32768

/** Yields `blocks` random blocks of `type` in chunks of up to 32768 blocks (the chunk buffer is reused). */
export function* quantBlocks(type: QuantType, blocks: number, rng: SeededRandom): Generator<Uint8Array> {
  const spec = QUANT_BLOCK[type]
  const halves = spec.halves.map(([offset, value]) => [offset, f16Bits(value)] as const)
  const maxBytes = Math.min(blocks, BLOCKS_PER_CHUNK) * spec.bytes
  const buffer = new ArrayBuffer(Math.ceil(maxBytes / 4) * 4)
  const words = new Uint32Array(buffer)
  const bytes = new Uint8Array(buffer)
  for (let done = 0; done < blocks; done += BLOCKS_PER_CHUNK) {
    const n = Math.min(BLOCKS_PER_CHUNK, blocks - done)
    const len = n * spec.bytes
    rng.fill(words.subarray(0, Math.ceil(len / 4)))
    for (let off = 0; off < len; off += spec.bytes) {
      for (const [at, bits] of halves) {
        bytes[off + at] = bits & 0xff
        bytes[off + at + 1] = bits >>> 8
      }
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

/** IEEE half-precision bits of a finite number in f16's range, subnormals included (round to nearest). */
export function f16Bits(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0] ?? 0
  const sign = u >>> 31
  const abs = Math.abs(x)
  if (abs < 2 ** -14) {
    const mant = Math.round(abs / 2 ** -24) // subnormal: mant x 2^-24 (rounds up to the smallest normal at 1024)
    return (sign << 15) | mant
  }
  let exp = ((u >>> 23) & 0xff) - 127 + 15
  let mant = Math.round((u & 0x7fffff) / 0x2000)
  if (mant === 0x400) {
    mant = 0
    exp++
  }
  if (exp >= 31) throw new Error(`Cannot encode ${x} as a finite f16`)
  return (sign << 15) | (exp << 10) | mant
}
