import v8 from 'node:v8'
import { mayTuneV8Flag } from './v8-flags.js'

// Whether this runtime computes the wasm relaxed-SIMD dot the relaxed engine build uses
// (i16x8.relaxed_dot_i8x16_i7x16_s, its only relaxed instruction) the way it needs: compile a tiny module with it and
// run it on a known vector. Not a version check. Node 20's V8 has relaxed SIMD behind a flag: with it, the i16x8 dot
// computes exactly in both of its compilers, while the i32x4 form (which the build therefore avoids) came out wrong
// from its baseline compiler.

// (module (memory (export "m") 1)
//   (func (export "dot")
//     (v128.store (i32.const 32) (i16x8.relaxed_dot_i8x16_i7x16_s (v128.load (i32.const 0)) (v128.load (i32.const 16))))))
const I16X8_RELAXED_DOT = [0xfd, 0x92, 0x02] // 0x112, the final relaxed-SIMD encoding
const LOAD_A = [0x41, 0x00, 0xfd, 0x00, 0x04, 0x00] // v128.load (i32.const 0)
const LOAD_B = [0x41, 0x10, 0xfd, 0x00, 0x04, 0x00]
const STORE = [0xfd, 0x0b, 0x04, 0x00] // v128.store
const DOT_BODY = [
  0x00, // no locals
  ...[0x41, 0x20], // i32.const 32 (store address)
  ...LOAD_A,
  ...LOAD_B,
  ...I16X8_RELAXED_DOT,
  ...STORE,
  0x0b,
]

/** The probe function's body (tests derive wrong variants from it). */
export const relaxedDotBody = (): readonly number[] => DOT_BODY

/** A module exporting memory m and dot(): m[32..48) = the i16x8 relaxed dot of m[0..16) and m[16..32). */
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

// a: full int8 (the operand ggml's activations take), b: 7-bit (0..127); lane 6 reaches -32005, near the i16 limit
const A = [-128, 127, -1, 5, 100, -100, 64, -64, 1, 2, 3, 4, -127, -126, 125, 0]
const B = [127, 0, 1, 64, 127, 127, 3, 5, 0, 0, 0, 127, 127, 126, 1, 2]

/** The exact result: lane i = a[2i] * b[2i] + a[2i+1] * b[2i+1]. */
function expected(): number[] {
  const product = (k: number) => (A[k] as number) * (B[k] as number)
  return Array.from({ length: 8 }, (_, i) => product(2 * i) + product(2 * i + 1))
}

/**
 * ok: the dot is exact here; unsupported: the runtime refused to compile it (as opposed to computing it wrongly);
 * flag: the V8 flag this process turned on to get it.
 */
export type RelaxedCheck = { ok: boolean; reason: string; unsupported?: boolean; flag?: string }

/** Runs the probe module (the real one unless a test passes another) and compares its lanes with the exact dot. */
export function checkRelaxedDot(module: Uint8Array<ArrayBuffer> = relaxedDotModule()): RelaxedCheck {
  let instance: WebAssembly.Instance
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(module))
  } catch (error) {
    const reason = `relaxed SIMD not supported (${(error as Error).message.split('\n')[0]})`
    return { ok: false, reason, unsupported: true }
  }
  const memory = instance.exports.m as WebAssembly.Memory
  const bytes = new Int8Array(memory.buffer)
  bytes.set(A, 0)
  bytes.set(B, 16)
  ;(instance.exports.dot as () => void)()
  const want = expected()
  const got = Array.from(new Int16Array(memory.buffer, 32, 8))
  if (!got.every((v, i) => v === want[i])) {
    return { ok: false, reason: `relaxed SIMD dot computes wrongly (got ${got.join(',')}, expected ${want.join(',')})` }
  }
  return { ok: true, reason: 'relaxed SIMD dot computes a known vector exactly' }
}

export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd'

/** Where the runtime's relaxed-SIMD switch can be turned: Node's V8 flags, unless the user set that flag himself. */
export type FlagHost = { canSet: boolean; set: (flag: string) => void }

const nodeFlags = (): FlagHost => ({
  canSet: mayTuneV8Flag(RELAXED_SIMD_FLAG.slice(2)),
  set: (flag) => v8.setFlagsFromString(flag),
})

/**
 * The probe, and where the runtime does not compile the dot but its V8 has relaxed SIMD behind a flag (Node 20), the
 * flag turned on for this process (every worker thread shares it) and the probe run again; turned off again if
 * that does not make the dot exact. Deno, Bun and a flag the user set are left as they are.
 */
export function probeRelaxedSimd(check: () => RelaxedCheck = checkRelaxedDot, flags = nodeFlags()): RelaxedCheck {
  const first = check()
  if (first.ok || !first.unsupported || !flags.canSet) return first
  flags.set(RELAXED_SIMD_FLAG)
  const second = check()
  if (second.ok) return { ...second, flag: RELAXED_SIMD_FLAG }
  flags.set(RELAXED_SIMD_FLAG.replace('--', '--no-'))
  return first
}
