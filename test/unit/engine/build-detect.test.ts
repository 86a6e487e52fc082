import t from 'tap'
import {
  chooseBuildForModel,
  chooseEngineBuild,
  detectMainBuild,
  hasWasmSimd,
} from '../../../src/engine/host/build-detect.js'

const tooBig = Object.assign(new Error('too big for wasm32'), { code: 'too_big_for_build' })

t.test('hasWasmSimd() validates a v128 module on this Node', async (t) => {
  t.equal(hasWasmSimd(), true)
})

t.test('chooseEngineBuild() picks relaxed for auto on this Node and honours a forced build it can run', async (t) => {
  const auto = chooseEngineBuild('auto')
  t.equal(auto.build, 'relaxed')
  // Node 20 has relaxed SIMD behind V8's flag, which the probe turns on
  const flagged = process.versions.node.startsWith('20.')
  t.equal(
    auto.reason,
    `wasm SIMD with exact relaxed-SIMD dots${flagged ? "; V8's --experimental-wasm-relaxed-simd turned on" : ''}`,
  )
  t.same(chooseEngineBuild('compat'), { build: 'compat', reason: 'forced by --engine-build' })
  t.same(chooseEngineBuild('simd'), { build: 'simd', reason: 'forced by --engine-build' })
})

t.test('chooseEngineBuild() refuses main where the runtime lacks JSPI or memory64', async (t) => {
  const main = detectMainBuild()
  if (main.ok) return t.pass('this runtime runs the main build')
  t.throws(() => chooseEngineBuild('main'), /Cannot use the main engine build: this runtime has no JSPI/)
})

t.test('chooseBuildForModel() keeps a forced build and passes its errors through', async (t) => {
  const picked = await chooseBuildForModel('compat', async (build) => `checked for ${build}`)
  t.same(picked, { choice: { build: 'compat', reason: 'forced by --engine-build' }, info: 'checked for compat' })
  await t.rejects(
    chooseBuildForModel('simd', async () => {
      throw tooBig
    }),
    tooBig,
  )
})

t.test('chooseBuildForModel() leaves a too-big file to the model error where main cannot run', async (t) => {
  if (detectMainBuild().ok) return t.pass('this runtime runs the main build (tested in builds.test.ts on Node 24)')
  const checked: string[] = []
  const check = async (build: string) => {
    checked.push(build)
    throw tooBig
  }
  await t.rejects(chooseBuildForModel('auto', check), tooBig)
  t.same(checked, ['relaxed'], 'main is never tried without JSPI')
})
