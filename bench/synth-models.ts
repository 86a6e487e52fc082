import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { acquireFileLock } from '../src/acquire/file-lock.js'
import { BENCH_MODELS_DIR } from './paths.js'
import { SYNTH_PRESETS, planSynthLlama, writeSynthLlama, type SynthPreset, type SynthType } from './synth-llama.js'

/** The cached path of a synthetic model: bench/models/synth-<preset>-<type>.gguf. */
export function synthModelPath(preset: SynthPreset, type: SynthType): string {
  return path.join(BENCH_MODELS_DIR, `synth-${preset}-${type}.gguf`)
}

/**
 * Returns the path of the synthetic model (default vocab and seed), writing it first if it is
 * missing or has the wrong size; a lock file keeps concurrent callers from writing it twice.
 */
export async function ensureSynthModel(preset: SynthPreset, type: SynthType): Promise<string> {
  const file = synthModelPath(preset, type)
  const options = { shape: SYNTH_PRESETS[preset], type, name: `synthetic-llama-${preset}-${type}` }
  const { fileSize } = await planSynthLlama(options)
  if ((await sizeOf(file)) === fileSize) return file
  await mkdir(BENCH_MODELS_DIR, { recursive: true })
  const release = await acquireFileLock(`${file}.lock`)
  try {
    if ((await sizeOf(file)) !== fileSize) await writeSynthLlama(file, options) // another process may have written it
  } finally {
    await release()
  }
  return file
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size
  } catch {
    return null
  }
}
