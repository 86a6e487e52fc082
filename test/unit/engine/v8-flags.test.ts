import t from 'tap'
import { mayTuneV8Flag } from '../../../src/engine/host/v8-flags.js'

t.test('mayTuneV8Flag() leaves a V8 flag the user set in NODE_OPTIONS, in any of its spellings', async (t) => {
  const saved = process.env.NODE_OPTIONS
  t.teardown(() => {
    if (saved === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = saved
  })
  delete process.env.NODE_OPTIONS
  t.equal(mayTuneV8Flag('experimental-wasm-relaxed-simd'), true, 'nobody set it: ours to set on Node')
  for (const set of [
    '--experimental-wasm-relaxed-simd',
    '--no-experimental-wasm-relaxed-simd',
    '--max-old-space-size=512 --experimental_wasm_relaxed_simd',
  ]) {
    process.env.NODE_OPTIONS = set
    t.equal(mayTuneV8Flag('experimental-wasm-relaxed-simd'), false, set)
  }
  process.env.NODE_OPTIONS = '--wasm-tiering-budget=5000'
  t.equal(mayTuneV8Flag('wasm-tiering-budget'), false)
  t.equal(mayTuneV8Flag('experimental-wasm-relaxed-simd'), true, 'another flag does not count')
  process.env.NODE_OPTIONS = '--experimental-wasm-relaxed-simd-extra'
  t.equal(mayTuneV8Flag('experimental-wasm-relaxed-simd'), true, 'a longer flag name is another flag')
})
