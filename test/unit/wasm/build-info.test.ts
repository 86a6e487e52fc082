// The committed engine builds (wasm/simd, wasm/relaxed) must be built from the patches in this repository: each
// build-info.json records the sha256 of every patch it applied (scripts/build-wasm.mjs), so a patch edited, added or
// removed without rebuilding the engines fails here instead of shipping a wasm that no longer matches its sources.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { buildDir, buildInfo } from '../../helpers/engine-builds.js'
import { REPO_ROOT } from '../../helpers/paths.js'

const PATCHES = path.join(REPO_ROOT, 'wasm', 'patches')

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

const inRepo = Object.fromEntries(
  fs
    .readdirSync(PATCHES)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => [f, sha256(path.join(PATCHES, f))]),
)

t.ok(Object.keys(inRepo).length >= 4, 'the repository has its engine patches')

for (const build of ['simd', 'relaxed'] as const) {
  t.test(`${build}: built from the repository's patches, byte for byte`, async (t) => {
    const info = buildInfo(build)
    t.same(info.patch_sha256, inRepo, 'every patch, none missing, none stale')
    t.same(info.patches, Object.keys(inRepo))
    t.equal(info.sha256['wllama.wasm'], sha256(path.join(buildDir(build), 'wllama.wasm')), 'the wasm it built')
  })
}
