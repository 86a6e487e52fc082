import t from 'tap'
import { chooseEngineBuild, detectEngineBuild } from '../../../src/engine/host/build-detect.js'
import { checkRelaxedDot, relaxedDotBody, relaxedDotModule } from '../../../src/engine/host/relaxed-simd.js'

// The probe's body with the relaxed dot swapped for i32x4.sub(b, c) and i32x4.add(a, _): valid plain SIMD of the
// same shape (three v128 in, one out) that computes something else, like a runtime with a wrong relaxed dot
const WRONG_BODY = [
  0x00,
  ...[0x41, 0x30],
  ...[0x41, 0x00, 0xfd, 0x00, 0x04, 0x00],
  ...[0x41, 0x10, 0xfd, 0x00, 0x04, 0x00],
  ...[0x41, 0x20, 0xfd, 0x00, 0x04, 0x00],
  ...[0xfd, 0xb1, 0x01], // i32x4.sub
  ...[0xfd, 0xae, 0x01], // i32x4.add
  ...[0xfd, 0x0b, 0x04, 0x00],
  0x0b,
]
// an opcode no runtime defines: the module does not compile, like the relaxed dot on Node 20 without flags
const UNKNOWN_BODY = [0x00, ...[0x41, 0x30], ...[0xfd, 0xff, 0x0f], 0x0b]

t.test(
  'the probe module is valid wasm wherever relaxed SIMD is, and its check is exact or explains itself',
  async (t) => {
    const check = checkRelaxedDot()
    if (check.ok) t.equal(check.reason, 'relaxed SIMD dots compute a known vector exactly')
    else t.match(check.reason, /^relaxed SIMD (not supported|(i16x8 )?dot computes wrongly)/)
    t.equal(WebAssembly.validate(relaxedDotModule(WRONG_BODY)), true, 'the wrong-result probe is valid plain SIMD')
  },
)

t.test('a probe that computes the wrong vector is reported with both vectors', async (t) => {
  const check = checkRelaxedDot(relaxedDotModule(WRONG_BODY))
  t.equal(check.ok, false)
  t.match(check.reason, /^relaxed SIMD dot computes wrongly \(got -?\d+,-?\d+,-?\d+,-?\d+, expected -?\d+/)
})

// The real probe with the i16x8 relaxed dot swapped for i16x8.add (0x8e): the i32x4 dot still computes exactly
const WRONG_I16_BODY = (() => {
  const body = [...relaxedDotBody()]
  const at = body.findIndex((b, i) => b === 0xfd && body[i + 1] === 0x92 && body[i + 2] === 0x02)
  body.splice(at, 3, 0xfd, 0x8e, 0x01)
  return body
})()

t.test('a runtime whose i16x8 relaxed dot is wrong does not pass, even with the i32x4 one exact', async (t) => {
  const check = checkRelaxedDot(relaxedDotModule(WRONG_I16_BODY))
  t.equal(check.ok, false)
  // where relaxed SIMD does not compile at all (Node 20), the same module is refused for that reason
  if (checkRelaxedDot().ok)
    t.match(check.reason, /^relaxed SIMD i16x8 dot computes wrongly \(got (-?\d+,){7}-?\d+, expected /)
  else t.match(check.reason, /^relaxed SIMD not supported \(/)
})

t.test('a probe the runtime cannot compile means no relaxed SIMD', async (t) => {
  const check = checkRelaxedDot(relaxedDotModule(UNKNOWN_BODY))
  t.equal(check.ok, false)
  t.match(check.reason, /^relaxed SIMD not supported \(/)
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
    chooseEngineBuild('relaxed', () => ({ ok: true, reason: 'relaxed SIMD dots compute a known vector exactly' })),
    { build: 'relaxed', reason: 'forced by --engine-build; relaxed SIMD dots compute a known vector exactly' },
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

t.test('on this runtime, --engine-build relaxed follows the real probe', async (t) => {
  const check = checkRelaxedDot()
  t.equal(chooseEngineBuild('relaxed').build, check.ok ? 'relaxed' : 'simd')
})
