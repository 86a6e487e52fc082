// The shipped engines must keep their kernels: a rebuild without -DEMSCRIPTEN_SYSTEM_PROCESSOR=wasm (ggml's
// GGML_CPU_GENERIC fallback, as in wllama's own builds) still loads and runs, only 5x slower; one without
// wasm/patches/llama.cpp-wasm-repack-gemm.patch loses the tiled GEMM/GEMV (Q8_0/Q4_0 and the K-quants); a relaxed
// build whose relaxed-SIMD objects were dropped loses its dots, and one that uses the i32x4 relaxed dot would compute
// wrongly on Node 20 (src/engine/host/relaxed-simd.ts).
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import t from 'tap'
import { REPO_ROOT } from '../../helpers/paths.js'

const require = createRequire(import.meta.url)
// i32x4.dot_i16x8_s: SIMD prefix 0xfd, LEB128 opcode 186 (0xba 0x01); ggml's quantized dot products use it
const DOT_I16X8 = [0xfd, 0xba, 0x01]
// i32x4.relaxed_dot_i8x16_i7x16_add_s in its final encoding (0x113); 0x114 is binaryen 108's prototype of it
const RELAXED_DOT = [0xfd, 0x93, 0x02]
// i16x8.relaxed_dot_i8x16_i7x16_s (0x112, the same number in binaryen 108): the relaxed kernels' inner product
const RELAXED_DOT16 = [0xfd, 0x92, 0x02]
const BINARYEN_108_DOT = [0xfd, 0x94, 0x02]
// i16x8.mul (0x95): the K-quant GEMMs multiply every extended weight vector by its sub-block scale
const MUL_I16X8 = [0xfd, 0x95, 0x01]
// measured in the committed builds: the Q8_0/Q4_0 tiled kernels add 32 i32x4.dot_i16x8_s to ggml's 46 and the
// Q4_K/Q5_K/Q6_K GEMM and GEMV about 320 more (Q6_K's unrolled over sub-blocks, the Q4_K/Q5_K GEMMs and the Q4_K GEMV
// looping); ggml's own code holds 38 i16x8.mul and the K-quant GEMMs add 38; the relaxed build holds 300 i16x8
// relaxed dots (Q4_0, Q4_K, Q5_K and Q6_K, partly unrolled, and the Q4_0 GEMM's activation sums) and 291
// i32x4.dot_i16x8_s (ggml's, the SIMD128 Q8_0 kernels and the relaxed kernels' widening steps) (the thresholds leave
// room for a compiler that unrolls differently)
const SIMD_TILE_DOTS = 24
const KQUANT_DOTS = 256
const GGML_MULS = 38
const KQUANT_MULS = 24
const RELAXED_DOTS16 = 270
const RELAXED_BUILD_DOTS = 260
const CODE_SECTION = 10

/** Reads an unsigned LEB128 at offset; returns the value and the offset after it. */
function leb(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0
  let shift = 0
  for (;;) {
    const byte = bytes[offset++] as number
    value += (byte & 0x7f) * 2 ** shift
    if (byte < 0x80) return [value, offset]
    shift += 7
  }
}

/** The bytes of a wasm module's code section (function bodies only, so data segments cannot count). */
function codeSection(bytes: Uint8Array): Uint8Array {
  let offset = 8 // magic + version
  while (offset < bytes.length) {
    const id = bytes[offset] as number
    const [size, start] = leb(bytes, offset + 1)
    if (id === CODE_SECTION) return bytes.subarray(start, start + size)
    offset = start + size
  }
  throw new Error('no code section')
}

/** Counts a byte pattern in a module's code section. */
function countInCode(file: string, pattern: number[]): number {
  const code = codeSection(new Uint8Array(fs.readFileSync(file)))
  let count = 0
  for (let i = code.indexOf(pattern[0] as number); i >= 0; i = code.indexOf(pattern[0] as number, i + 1)) {
    if (pattern.every((b, k) => code[i + k] === b)) count++
  }
  return count
}

const simdWasm = path.join(REPO_ROOT, 'wasm', 'simd', 'wllama.wasm')
const relaxedWasm = path.join(REPO_ROOT, 'wasm', 'relaxed', 'wllama.wasm')
const compatWasm = path.join(path.dirname(require.resolve('@wllama/wllama-compat/package.json')), 'wasm', 'wllama.wasm')

t.test('the committed simd engine holds ggml wasm SIMD dots and the tiled GEMM/GEMV (i32x4.dot_i16x8_s)', async (t) => {
  const count = countInCode(simdWasm, DOT_I16X8)
  // ggml's wasm quants.c uses it 46 times (q4_0..q8_0 and k-quant dots); the tiled Q8_0/Q4_0 GEMM and GEMV of
  // arch/wasm/repack.cpp add SIMD_TILE_DOTS more (fully unrolled 4x4 tiles) and its K-quant kernels KQUANT_DOTS more,
  // so fewer means the patch, or its K-quant part, is gone
  t.ok(count >= 46 + SIMD_TILE_DOTS + KQUANT_DOTS, `found ${count} i32x4.dot_i16x8_s in wasm/simd/wllama.wasm`)
  const muls = countInCode(simdWasm, MUL_I16X8)
  t.ok(muls >= GGML_MULS + KQUANT_MULS, `found ${muls} i16x8.mul (the K-quant GEMMs' scaled weights)`)
  t.equal(countInCode(simdWasm, RELAXED_DOT), 0, 'no relaxed-SIMD instruction: it must load on Node 20')
  t.equal(countInCode(simdWasm, RELAXED_DOT16), 0, 'no i16x8 relaxed dot either')
})

t.test('the committed relaxed engine holds the relaxed-SIMD kernels, with the i16x8 dot only', async (t) => {
  const count16 = countInCode(relaxedWasm, RELAXED_DOT16)
  t.ok(count16 >= RELAXED_DOTS16, `found ${count16} i16x8.relaxed_dot_i8x16_i7x16_s (the 4- to 6-bit kernels)`)
  t.equal(countInCode(relaxedWasm, RELAXED_DOT), 0, 'no i32x4 relaxed dot: Node 20 computes it wrongly')
  t.equal(countInCode(relaxedWasm, BINARYEN_108_DOT), 0, "nor binaryen 108's prototype of it")
  t.ok(countInCode(relaxedWasm, DOT_I16X8) >= RELAXED_BUILD_DOTS, "ggml's per-row SIMD dots and the K-quant kernels stay")
})

t.test("wllama's generic compat build has none, so the count tells the builds apart", async (t) => {
  t.equal(countInCode(compatWasm, DOT_I16X8), 0)
})
