import type { EngineBuild } from './protocol.js'
import { probeRelaxedSimd, type RelaxedCheck } from './relaxed-simd.js'

type Choice = { build: EngineBuild; reason: string }

// (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where the runtime has wasm SIMD
const SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b,
  0x03,
  0x02,
  0x01,
  0x00,
  0x0a,
  0x16,
  0x01,
  0x14,
  0x00,
  0xfd,
  0x0c,
  ...new Array<number>(16).fill(0),
  0x0b,
])

/** Whether this runtime validates a wasm module holding a v128 instruction (feature test, not a version guess). */
export function hasWasmSimd(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE)
  } catch {
    return false
  }
}

/** Whether this runtime can run wllama's main build (JSPI + shared memory64), and why not when it cannot. */
export function detectMainBuild(): { ok: boolean; reason: string } {
  const wasm = WebAssembly as unknown as { Suspending?: unknown }
  if (typeof wasm.Suspending !== 'function') return { ok: false, reason: 'no JSPI (WebAssembly.Suspending)' }
  try {
    // the main build shares an i64-addressed memory with its pthreads
    const Memory = WebAssembly.Memory as unknown as new (d: object) => WebAssembly.Memory
    new Memory({ address: 'i64', initial: 1n, maximum: 2n, shared: true })
  } catch {
    return { ok: false, reason: 'no shared memory64' }
  }
  return { ok: true, reason: 'JSPI and memory64 available' }
}

let relaxedCheck: RelaxedCheck | undefined
const cachedRelaxedCheck = () => (relaxedCheck ??= probeRelaxedSimd())
const flagNote = (check: RelaxedCheck) => (check.flag ? `; V8's ${check.flag} turned on` : '')

/**
 * The build for a model that fits a wasm32 heap and file offsets: relaxed where the runtime computes the relaxed-SIMD
 * dot exactly (a known vector, checked once per process, with V8's flag turned on where Node 20 has it off; tests
 * pass their own check), else simd wherever wasm SIMD validates. The relaxed build is the simd build with faster
 * Q4_0/Q4_K/Q6_K kernels (README), so it is never slower.
 */
export function detectEngineBuild(relaxed: () => RelaxedCheck = cachedRelaxedCheck): Choice {
  if (!hasWasmSimd()) return { build: 'compat', reason: 'no wasm SIMD' }
  const check = relaxed()
  if (check.ok) return { build: 'relaxed', reason: `wasm SIMD with exact relaxed-SIMD dots${flagNote(check)}` }
  return { build: 'simd', reason: 'wasm SIMD available, no exact relaxed-SIMD dot' }
}

/**
 * Resolves --engine-build (auto|simd|relaxed|main|compat) to a build, refusing one the runtime cannot run. relaxed
 * runs only where the runtime computes the relaxed dot exactly (a known vector, checked once per process; tests pass
 * their own check), else simd, and the reason says why.
 */
export function chooseEngineBuild(
  requested: EngineBuild | 'auto',
  relaxed: () => RelaxedCheck = cachedRelaxedCheck,
): Choice {
  if (requested === 'auto') return detectEngineBuild(relaxed)
  if (requested === 'relaxed' && hasWasmSimd()) {
    const check = relaxed()
    if (check.ok) return { build: 'relaxed', reason: `forced by --engine-build; ${check.reason}${flagNote(check)}` }
    return { build: 'simd', reason: `--engine-build relaxed, but ${check.reason}: simd instead` }
  }
  if (requested === 'main') {
    const main = detectMainBuild()
    if (!main.ok) {
      throw new Error(
        `Cannot use the main engine build: this runtime has ${main.reason}; use --engine-build simd or Node 24+`,
      )
    }
  }
  if ((requested === 'simd' || requested === 'relaxed') && !hasWasmSimd()) {
    throw new Error(
      `Cannot use the ${requested} engine build: this runtime has no wasm SIMD; use --engine-build compat`,
    )
  }
  return { build: requested, reason: 'forced by --engine-build' }
}

/**
 * Picks the build for one model: `check(build)` validates the model for a build and throws a ModelFileError with
 * code too_big_for_build when a file is too big for the wasm32 builds; auto then moves to the memory64 main build
 * where the runtime has it, and says why.
 */
export async function chooseBuildForModel<T>(
  requested: EngineBuild | 'auto',
  check: (build: EngineBuild) => Promise<T>,
): Promise<{ choice: Choice; info: T }> {
  const choice = chooseEngineBuild(requested)
  try {
    return { choice, info: await check(choice.build) }
  } catch (error) {
    const tooBig = (error as { code?: unknown }).code === 'too_big_for_build'
    if (requested !== 'auto' || !tooBig || !detectMainBuild().ok) throw error
    const reason = `model file of 2 GiB or more: too big for the wasm32 ${choice.build} build, so memory64`
    return { choice: { build: 'main', reason }, info: await check('main') }
  }
}
