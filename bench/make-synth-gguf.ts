// Writes a random-weight llama GGUF of a realistic shape, for timing.
// usage: npx tsx bench/make-synth-gguf.ts [out.gguf] [--preset 135m|360m|1b] [--type q8_0|q4_0|q4_k|q5_k|q6_k|q4_k_m|q5_k_m]
//        [--vocab-from path.gguf] [--seed N]      (default out: bench/models/synth-<preset>-<type>.gguf)
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import {
  DEFAULT_SEED,
  DEFAULT_VOCAB,
  SYNTH_PRESETS,
  SYNTH_TYPES,
  writeSynthLlama,
  type SynthPreset,
  type SynthType,
} from './synth-llama.js'
import { synthModelPath } from './synth-models.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    preset: { type: 'string', default: '135m' },
    type: { type: 'string', default: 'q8_0' },
    'vocab-from': { type: 'string', default: DEFAULT_VOCAB },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
  },
})
const preset = values.preset
const type = values.type
if (!isPreset(preset)) fail(`unknown --preset '${preset}' (use ${Object.keys(SYNTH_PRESETS).join(', ')})`)
if (!isType(type)) fail(`unknown --type '${type}' (use ${SYNTH_TYPES.join(', ')})`)
const seed = Number(values.seed)
if (!Number.isSafeInteger(seed)) fail(`--seed must be an integer, got '${values.seed}'`)
const out = path.resolve(positionals[0] ?? synthModelPath(preset, type))
await mkdir(path.dirname(out), { recursive: true })

const started = performance.now()
const plan = await writeSynthLlama(out, {
  shape: SYNTH_PRESETS[preset],
  type,
  vocabFrom: values['vocab-from'],
  seed,
  name: `synthetic-llama-${preset}-${type}`,
})
const mib = (plan.fileSize / 1048576).toFixed(1)
const secs = ((performance.now() - started) / 1000).toFixed(1)
console.log(
  `wrote ${out}: ${mib} MiB, ${(plan.params / 1e6).toFixed(1)}M params, ${plan.tensors.length} tensors, ${secs} s`,
)

function isPreset(value: string): value is SynthPreset {
  return Object.hasOwn(SYNTH_PRESETS, value)
}

function isType(value: string): value is SynthType {
  return (SYNTH_TYPES as readonly string[]).includes(value)
}

function fail(message: string): never {
  console.error(`make-synth-gguf: ${message}`)
  process.exit(2)
}
