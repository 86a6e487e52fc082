import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EngineBuild } from './protocol.js'

/** Paths of one engine build's prepared assets (see scripts/prepare-wasm.mjs). */
export interface EngineAssets {
  engineScript: string
  pthreadScript: string
  wasm: string
}

/** Finds the prepared engine assets: $OXILLAMA_WASM_DIR, wasm/ beside the bundle, or the repo's wasm/. */
export function findEngineAssets(build: EngineBuild): EngineAssets {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const candidates = [process.env.OXILLAMA_WASM_DIR, path.join(here, 'wasm'), path.join(here, '..', '..', '..', 'wasm')]
  for (const dir of candidates) {
    if (!dir) continue
    const assets = {
      engineScript: path.join(dir, `engine-${build}.cjs`),
      pthreadScript: path.join(dir, `pthread-${build}.cjs`),
      wasm: path.join(dir, `wllama-${build}.wasm`),
    }
    if (Object.values(assets).every((file) => fs.existsSync(file))) return assets
  }
  throw new Error(
    `Cannot find the ${build} engine assets (engine-${build}.cjs, pthread-${build}.cjs, wllama-${build}.wasm) ` +
      `in ${candidates.filter(Boolean).join(', ')}: run \`npm run build\` (or node scripts/prepare-wasm.mjs)`,
  )
}
