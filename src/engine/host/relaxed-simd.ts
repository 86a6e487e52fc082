// Whether this runtime computes the wasm relaxed-SIMD dots the relaxed engine build uses
// (i32x4.relaxed_dot_i8x16_i7x16_add_s and i16x8.relaxed_dot_i8x16_i7x16_s) the way it needs: compile a tiny module
// with both instructions and run it on a known vector. Not a version check: Node 20's V8 rejects the final encoding
// without flags, and its baseline compiler computed the dot wrongly with them.

// (module (memory (export "m") 1)
//   (func (export "dot")
//     (v128.store (i32.const 48)
//       (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.load (i32.const 0)) (v128.load (i32.const 16))
//                                             (v128.load (i32.const 32))))
//     (v128.store (i32.const 64) (i16x8.relaxed_dot_i8x16_i7x16_s (v128.load (i32.const 0)) (v128.load (i32.const 16))))))
const I32X4_RELAXED_DOT_ADD = [0xfd, 0x93, 0x02] // 0x113, the final relaxed-SIMD encoding
const I16X8_RELAXED_DOT = [0xfd, 0x92, 0x02] // 0x112
const LOAD_A = [0x41, 0x00, 0xfd, 0x00, 0x04, 0x00] // v128.load (i32.const 0)
const LOAD_B = [0x41, 0x10, 0xfd, 0x00, 0x04, 0x00]
const LOAD_C = [0x41, 0x20, 0xfd, 0x00, 0x04, 0x00]
const STORE = [0xfd, 0x0b, 0x04, 0x00] // v128.store
const DOT_BODY = [
  0x00, // no locals
  ...[0x41, 0x30], // i32.const 48 (store address)
  ...LOAD_A,
  ...LOAD_B,
  ...LOAD_C,
  ...I32X4_RELAXED_DOT_ADD,
  ...STORE,
  ...[0x41, 0xc0, 0x00], // i32.const 64
  ...LOAD_A,
  ...LOAD_B,
  ...I16X8_RELAXED_DOT,
  ...STORE,
  0x0b,
]

/** The probe function's body (tests derive wrong variants from it). */
export const relaxedDotBody = (): readonly number[] => DOT_BODY

/**
 * A module exporting memory m and dot(): m[48..64) = the i32x4 dot of m[0..16), m[16..32) added to m[32..48), and
 * m[64..80) = the i16x8 dot of m[0..16), m[16..32).
 */
export function relaxedDotModule(body: readonly number[] = DOT_BODY): Uint8Array<ArrayBuffer> {
  const section = (id: number, content: number[]) => [id, content.length, ...content]
  const name = (s: string) => [s.length, ...new TextEncoder().encode(s)]
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 0, 0]), // type 0: [] -> []
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0, 1]), // one memory, min 1 page
    ...section(7, [2, ...name('m'), 2, 0, ...name('dot'), 0, 0]),
    ...section(10, [1, body.length, ...body]),
  ])
}

// a: full int8 (the operand ggml's activations take), b: 7-bit (0..127), c: the accumulator
const A = [-128, 127, -1, 5, 100, -100, 64, -64, 1, 2, 3, 4, -127, -126, 125, 0]
const B = [127, 0, 1, 64, 127, 127, 3, 5, 0, 0, 0, 127, 127, 126, 1, 2]
const C = [1, -2, 3, 1 << 20]

/** The exact results: c[i] + sum over j of a[4i+j] * b[4i+j] (i32x4), and a[2i] * b[2i] + a[2i+1] * b[2i+1] (i16x8). */
function expected(): { i32: number[]; i16: number[] } {
  const product = (k: number) => (A[k] as number) * (B[k] as number)
  return {
    i32: C.map((c, i) => c + product(4 * i) + product(4 * i + 1) + product(4 * i + 2) + product(4 * i + 3)),
    i16: Array.from({ length: 8 }, (_, i) => product(2 * i) + product(2 * i + 1)),
  }
}

export type RelaxedCheck = { ok: boolean; reason: string }

/** Runs the probe module (the real one unless a test passes another) and compares its lanes with the exact dot. */
export function checkRelaxedDot(module: Uint8Array<ArrayBuffer> = relaxedDotModule()): RelaxedCheck {
  let instance: WebAssembly.Instance
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(module))
  } catch (error) {
    return { ok: false, reason: `relaxed SIMD not supported (${(error as Error).message.split('\n')[0]})` }
  }
  const memory = instance.exports.m as WebAssembly.Memory
  const bytes = new Int8Array(memory.buffer)
  bytes.set(A, 0)
  bytes.set(B, 16)
  new Int32Array(memory.buffer, 32, 4).set(C)
  ;(instance.exports.dot as () => void)()
  const want = expected()
  const got = Array.from(new Int32Array(memory.buffer, 48, 4))
  if (!got.every((v, i) => v === want.i32[i]))
    return {
      ok: false,
      reason: `relaxed SIMD dot computes wrongly (got ${got.join(',')}, expected ${want.i32.join(',')})`,
    }
  const got16 = Array.from(new Int16Array(memory.buffer, 64, 8))
  if (!got16.every((v, i) => v === want.i16[i])) {
    return {
      ok: false,
      reason: `relaxed SIMD i16x8 dot computes wrongly (got ${got16.join(',')}, expected ${want.i16.join(',')})`,
    }
  }
  return { ok: true, reason: 'relaxed SIMD dots compute a known vector exactly' }
}
