import t from 'tap'
import { chooseEngineBuild, detectEngineBuild } from '../../../src/engine/host/build-detect.js'
import {
  checkRelaxedDot,
  probeRelaxedSimd,
  relaxedDotBody,
  relaxedDotModule,
  RELAXED_SIMD_FLAG,
  type RelaxedCheck,
} from '../../../src/engine/host/relaxed-simd.js'

// The probe's body with the relaxed dot swapped for i16x8.add (0x8e): valid plain SIMD of the same shape (two v128
// in, one out) that computes something else, like a runtime with a wrong relaxed dot
const WRONG_BODY = (() => {
  const body = [...relaxedDotBody()]
  const at = body.findIndex((b, i) => b === 0xfd && body[i + 1] === 0x92 && body[i + 2] === 0x02)
  body.splice(at, 3, 0xfd, 0x8e, 0x01)
  return body
})()
// an opcode no runtime defines: the module does not compile, like the relaxed dot on Node 20 without its flag
const UNKNOWN_BODY = [0x00, ...[0x41, 0x30], ...[0xfd, 0xff, 0x0f], 0x0b]

t.test(
  'the probe module is valid wasm wherever relaxed SIMD is, and its check is exact or explains itself',
  async (t) => {
    const check = checkRelaxedDot()
    if (check.ok) t.equal(check.reason, 'relaxed SIMD dot computes a known vector exactly')
    else t.match(check.reason, /^relaxed SIMD (not supported|dot computes wrongly)/)
    t.equal(WebAssembly.validate(relaxedDotModule(WRONG_BODY)), true, 'the wrong-result probe is valid plain SIMD')
  },
)

t.test('a probe that computes the wrong vector is reported with both vectors', async (t) => {
  const check = checkRelaxedDot(relaxedDotModule(WRONG_BODY))
  t.equal(check.ok, false)
  t.notOk(check.unsupported, 'it compiled: wrong, not unsupported')
  t.match(check.reason, /^relaxed SIMD dot computes wrongly \(got (-?\d+,){7}-?\d+, expected (-?\d+,){7}-?\d+\)$/)
})

t.test('a probe the runtime cannot compile means no relaxed SIMD', async (t) => {
  const check = checkRelaxedDot(relaxedDotModule(UNKNOWN_BODY))
  t.equal(check.ok, false)
  t.equal(check.unsupported, true)
  t.match(check.reason, /^relaxed SIMD not supported \(/)
})

/** A flag host that records what was set, and a probe that passes once the relaxed flag is on. */
function flagged(canSet: boolean, afterFlag: RelaxedCheck) {
  const set: string[] = []
  const on = () => set.at(-1) === RELAXED_SIMD_FLAG
  const check = () => (on() ? afterFlag : checkRelaxedDot(relaxedDotModule(UNKNOWN_BODY)))
  return { set, check, flags: { canSet, set: (flag: string) => void set.push(flag) } }
}

t.test("an unsupported dot gets V8's relaxed-SIMD flag turned on and is probed again", async (t) => {
  const exact = { ok: true, reason: 'relaxed SIMD dot computes a known vector exactly' }
  const { set, check, flags } = flagged(true, exact)
  t.same(probeRelaxedSimd(check, flags), { ...exact, flag: RELAXED_SIMD_FLAG })
  t.same(set, [RELAXED_SIMD_FLAG])
  const again = flagged(true, exact)
  t.equal(
    detectEngineBuild(() => probeRelaxedSimd(again.check, again.flags)).reason,
    "wasm SIMD with exact relaxed-SIMD dots; V8's --experimental-wasm-relaxed-simd turned on",
  )
})

t.test('the flag is turned off again when the dot is still not exact with it', async (t) => {
  const { set, check, flags } = flagged(true, checkRelaxedDot(relaxedDotModule(WRONG_BODY)))
  const result = probeRelaxedSimd(check, flags)
  t.equal(result.ok, false)
  t.match(result.reason, /^relaxed SIMD not supported/, 'the first answer is kept')
  t.same(set, [RELAXED_SIMD_FLAG, '--no-experimental-wasm-relaxed-simd'])
})

t.test('no flag is touched where it cannot be set, nor for a dot that compiles but is wrong', async (t) => {
  const unset = flagged(false, { ok: true, reason: 'exact' })
  t.equal(probeRelaxedSimd(unset.check, unset.flags).ok, false)
  t.same(unset.set, [])
  const wrong = flagged(true, { ok: true, reason: 'exact' })
  t.equal(probeRelaxedSimd(() => checkRelaxedDot(relaxedDotModule(WRONG_BODY)), wrong.flags).ok, false)
  t.same(wrong.set, [])
})

t.test('on this runtime the real probe, with the flag where needed, computes the dot exactly', async (t) => {
  // Node 20 (the flag turned on), Node 22/24: every Node this project supports runs the relaxed build
  const check = probeRelaxedSimd()
  t.equal(check.ok, true, check.reason)
  if (check.flag) t.equal(check.flag, RELAXED_SIMD_FLAG)
})

t.test('--engine-build relaxed gets the plain simd build when the relaxed probe computes wrongly', async (t) => {
  const choice = chooseEngineBuild('relaxed', () => checkRelaxedDot(relaxedDotModule(WRONG_BODY)))
  t.equal(choice.build, 'simd')
  t.match(choice.reason, /^--engine-build relaxed, but relaxed SIMD dot computes wrongly \(got .*\): simd instead$/)
})

t.test('--engine-build relaxed gets simd where the runtime cannot compile the relaxed dot', async (t) => {
  const choice = chooseEngineBuild('relaxed', () => checkRelaxedDot(relaxedDotModule(UNKNOWN_BODY)))
  t.equal(choice.build, 'simd')
  t.match(choice.reason, /^--engine-build relaxed, but relaxed SIMD not supported/)
})

t.test('--engine-build relaxed gets relaxed where the probe computes exactly, and says so', async (t) => {
  t.same(
    chooseEngineBuild('relaxed', () => ({ ok: true, reason: 'relaxed SIMD dot computes a known vector exactly' })),
    { build: 'relaxed', reason: 'forced by --engine-build; relaxed SIMD dot computes a known vector exactly' },
  )
})

t.test('auto picks relaxed where the probe computes exactly, else simd, and says which', async (t) => {
  t.same(
    chooseEngineBuild('auto', () => ({ ok: true, reason: 'exact' })),
    { build: 'relaxed', reason: 'wasm SIMD with exact relaxed-SIMD dots' },
  )
  for (const body of [WRONG_BODY, UNKNOWN_BODY]) {
    t.same(
      detectEngineBuild(() => checkRelaxedDot(relaxedDotModule(body))),
      {
        build: 'simd',
        reason: 'wasm SIMD available, no exact relaxed-SIMD dot',
      },
    )
  }
})

t.test('on this runtime, --engine-build relaxed gets relaxed through the real probe', async (t) => {
  const choice = chooseEngineBuild('relaxed')
  t.equal(choice.build, 'relaxed')
  t.match(choice.reason, /^forced by --engine-build; relaxed SIMD dot computes a known vector exactly/)
})
