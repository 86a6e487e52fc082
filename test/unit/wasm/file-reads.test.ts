// Our engine builds read model files synchronously (wasm/patches/wllama-cpp-sync-file-read.patch) and so link without
// Asyncify, which made ggml's op dispatcher a 404 KB function that V8 compiled with ~200 MB of memory at the first
// request. The committed builds must be made with the patch and have no Asyncify left: a -sASYNCIFY brought back into
// wasm/build/CMakeLists.txt fails here. wllama's own builds still speak the asynchronous protocol, and the host
// serves both.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { buildDir, buildInfo } from '../../helpers/engine-builds.js'
import { REPO_ROOT } from '../../helpers/paths.js'

const SYNC_PATCH = 'wllama-cpp-sync-file-read.patch'


t.test('the next engine build gets the synchronous file read', async (t) => {
  t.ok(fs.existsSync(path.join(REPO_ROOT, 'wasm', 'patches', SYNC_PATCH)))
  const cmake = fs.readFileSync(path.join(REPO_ROOT, 'wasm', 'build', 'CMakeLists.txt'), 'utf8')
  t.notMatch(cmake, /^\s*-sASYNCIFY/m, 'CMakeLists.txt links without Asyncify')
})

for (const build of ['simd', 'relaxed'] as const) {
  t.test(`the committed ${build} build reads files synchronously, without Asyncify`, async (t) => {
    const glue = fs.readFileSync(path.join(buildDir(build), 'wllama.js'), 'utf8')
    t.ok(buildInfo(build).patches.includes(SYNC_PATCH), `build-info.json lists ${SYNC_PATCH}`)
    t.match(glue, /_wllama_js_file_read_sync\(/, 'the file read calls the synchronous reader')
    t.notMatch(glue, /asyncify_start_unwind|Asyncify\./, 'no Asyncify in the glue (nor its exports)')
  })
}

t.test('the prepared engine worker serves both protocols', async (t) => {
  // written by scripts/prepare-wasm.mjs (npm test builds first)
  const worker = fs.readFileSync(path.join(REPO_ROOT, 'wasm', 'engine-simd.cjs'), 'utf8')
  t.match(worker, /const _wllama_js_file_read_sync = /)
  t.match(worker, /const _wllama_js_file_read = async /)
  t.match(worker, /if \(args\[3\]\) fsNameToPath\[argFilename\] = args\[3\];/, 'fs.alloc takes the path')
})
