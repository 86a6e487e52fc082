// The shipped SIMD engine must keep ggml's wasm SIMD kernels: a rebuild without -DEMSCRIPTEN_SYSTEM_PROCESSOR=wasm
// (ggml's GGML_CPU_GENERIC fallback, as in wllama's own builds) still loads and runs, only 5x slower.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import t from 'tap'
import { REPO_ROOT } from '../../helpers/paths.js'

const require = createRequire(import.meta.url)
// i32x4.dot_i16x8_s: SIMD prefix 0xfd, LEB128 opcode 186 (0xba 0x01); ggml's quantized dot products use it
const DOT_I16X8 = [0xfd, 0xba, 0x01]
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
const compatWasm = path.join(path.dirname(require.resolve('@wllama/wllama-compat/package.json')), 'wasm', 'wllama.wasm')

t.test('the committed SIMD engine holds ggml wasm SIMD dot kernels (i32x4.dot_i16x8_s)', async (t) => {
  const count = countInCode(simdWasm, DOT_I16X8)
  // ggml's wasm quants.c uses it in the q4_0..q8_0 and k-quant dots; the probe build had dozens
  t.ok(count >= 20, `found ${count} i32x4.dot_i16x8_s in wasm/simd/wllama.wasm`)
})

t.test("wllama's generic compat build has none, so the count tells the builds apart", async (t) => {
  t.equal(countInCode(compatWasm, DOT_I16X8), 0)
})
