import fs from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from './paths.js'

/** What scripts/build-wasm.mjs records beside each of our committed engine builds (wasm/simd, wasm/relaxed). */
export type BuildInfo = {
  patches: string[]
  patch_sha256: Record<string, string>
  sha256: Record<string, string>
}

/** The folder of one committed build. */
export function buildDir(build: 'simd' | 'relaxed'): string {
  return path.join(REPO_ROOT, 'wasm', build)
}

/** The build-info.json of one committed build. */
export function buildInfo(build: 'simd' | 'relaxed'): BuildInfo {
  return JSON.parse(fs.readFileSync(path.join(buildDir(build), 'build-info.json'), 'utf8')) as BuildInfo
}
