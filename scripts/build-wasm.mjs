// Builds the SIMD engine (wasm/simd/wllama.js, wllama.wasm, wllama.worker.js) from pinned inputs with Debian's emscripten 3.1.6:
//
//   llama.cpp  the source node-llama-cpp 3.22.1 ships in its npm package (llama/gitRelease.bundle, one commit),
//              fetched with `npm pack` into .cache/wasm-build/ (git-ignored)
//              and patched with wasm/patches/llama.cpp-*.patch (the wasm SIMD128 tiled GEMM for the repack buffer, and the
//              relaxed-SIMD kernels; flash attention without per-element fp16 conversions; vector silu/swiglu)
//   glue       wllama 3.8.1's C++ glue (node_modules/@wllama/wllama/cpp), copied and patched with
//              wasm/patches/wllama-cpp-*.patch (its file read made synchronous, so no Asyncify)
//   cmake      wasm/build/CMakeLists.txt: wllama's compat build (wasm32, pthreads, JS exceptions) without Asyncify,
//              with ggml's wasm SIMD kernels on (-DEMSCRIPTEN_SYSTEM_PROCESSOR=wasm, -msimd128)
//
// usage: node scripts/build-wasm.mjs [--jobs N] [--out DIR (default wasm/; writes DIR/simd, DIR/relaxed)]
//        [--variants simd,relaxed] [--work DIR] [--profiling (function names kept, for node --cpu-prof; --out defaults
//        to .cache/wasm-profiling, then: node scripts/prepare-wasm.mjs ASSETS --builds .cache/wasm-profiling and
//        OXILLAMA_WASM_DIR=ASSETS node --cpu-prof ...)]
// Needs emcc (apt-get install emscripten), cmake, make, git, npm. Run it under `nice` on a shared machine.
import { execFileSync, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The pinned inputs; a change here is a new engine. */
export const INPUTS = {
  nodeLlamaCpp: { version: '3.22.1', tgzSha256: 'a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f' },
  llamaCppCommit: 'de3ff815ea7d559ee917f063901b8986f038abc6',
  wllama: { version: '3.8.1' },
  emscripten: '3.1.6',
}

const CMAKE_FLAGS = [
  '-DEMSCRIPTEN_SYSTEM_PROCESSOR=wasm', // without it ggml falls back to GGML_CPU_GENERIC: no SIMD kernels
  '-DLLAMA_WASM_MEM64=OFF',
  '-DGGML_WEBGPU=OFF',
  '-DGGML_OPENMP=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_BUILD_TOOLS=OFF',
  '-DLLAMA_BUILD_SERVER=OFF',
  '-DLLAMA_BUILD_HTML=OFF',
  '-DLLAMA_CURL=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DCMAKE_BUILD_TYPE=Release',
]

// emscripten 3.1.6 writes the pthread entry point as a separate worker.js
const OUTPUTS = ['wllama.js', 'wllama.wasm', 'wllama.worker.js']

const { values: opts } = parseArgs({
  options: {
    jobs: { type: 'string', default: String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length)) },
    out: { type: 'string' },
    profiling: { type: 'boolean', default: false },
    variants: { type: 'string', default: 'simd,relaxed' },
    work: { type: 'string', default: path.join(root, '.cache', 'wasm-build') },
  },
})

function run(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`)
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...options, env: { ...process.env, ...options.env } })
  if (res.status !== 0) throw new Error(`${cmd} failed with status ${res.status}`)
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

function checkEmscripten() {
  const out = execFileSync('emcc', ['--version'], { encoding: 'utf8', env: emEnv() })
  const version = /(\d+\.\d+\.\d+)/.exec(out)?.[1]
  if (version !== INPUTS.emscripten) {
    console.warn(
      `warning: emcc ${version}, pinned ${INPUTS.emscripten}: the output will differ from the committed build`,
    )
  }
  return version
}

// Debian's emscripten finds acorn and friends only through NODE_PATH
function emEnv() {
  return { ...process.env, NODE_PATH: process.env.NODE_PATH ?? '/usr/share/nodejs' }
}

/** llama.cpp at the pinned commit, from the node-llama-cpp tarball's git bundle. */
function prepareLlamaCpp(work) {
  const { version, tgzSha256 } = INPUTS.nodeLlamaCpp
  const tgz = path.join(work, `node-llama-cpp-${version}.tgz`)
  if (!fs.existsSync(tgz)) run('npm', ['pack', `node-llama-cpp@${version}`, '--pack-destination', work])
  if (sha256(tgz) !== tgzSha256) throw new Error(`${tgz} does not have the pinned sha256 ${tgzSha256}`)
  const dir = path.join(work, 'llama.cpp')
  const head = () => execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
  if (fs.existsSync(dir) && head() === INPUTS.llamaCppCommit) return patchLlamaCpp(dir)
  fs.rmSync(dir, { recursive: true, force: true })
  const unpack = path.join(work, 'node-llama-cpp')
  fs.rmSync(unpack, { recursive: true, force: true })
  fs.mkdirSync(unpack)
  run('tar', ['xzf', tgz, '-C', unpack, 'package/llama/gitRelease.bundle'])
  run('git', ['clone', '--quiet', path.join(unpack, 'package/llama/gitRelease.bundle'), dir])
  run('git', ['-C', dir, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', INPUTS.llamaCppCommit])
  if (head() !== INPUTS.llamaCppCommit) throw new Error(`llama.cpp is not at ${INPUTS.llamaCppCommit}`)
  return patchLlamaCpp(dir)
}

function patchesFor(prefix) {
  return fs
    .readdirSync(path.join(root, 'wasm', 'patches'))
    .filter((f) => f.startsWith(prefix) && f.endsWith('.patch'))
    .sort()
}

function applyPatches(dir, patches) {
  for (const patch of patches) {
    // not git apply: inside this repository's work tree it resolves paths against the repo root and skips them
    run('patch', ['-p1', '--forward', '--batch', '-i', path.join(root, 'wasm', 'patches', patch)], { cwd: dir })
  }
}

/** The pinned tree, reset to the commit (an earlier run's patches undone), then patched. */
function patchLlamaCpp(dir) {
  run('git', ['-C', dir, 'checkout', '--quiet', '--force', INPUTS.llamaCppCommit])
  run('git', ['-C', dir, 'clean', '--quiet', '-fd'])
  applyPatches(dir, patchesFor('llama.cpp-'))
  return dir
}

/** wllama's cpp/ glue, freshly copied and patched. */
function prepareGlue(work) {
  const wllamaDir = path.dirname(require.resolve('@wllama/wllama/package.json'))
  const { version } = JSON.parse(fs.readFileSync(path.join(wllamaDir, 'package.json'), 'utf8'))
  if (version !== INPUTS.wllama.version)
    throw new Error(`@wllama/wllama ${version} installed, pinned ${INPUTS.wllama.version}`)
  const dir = path.join(work, 'wllama-cpp')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.cpSync(path.join(wllamaDir, 'cpp'), dir, { recursive: true })
  applyPatches(dir, patchesFor('wllama-cpp-'))
  return dir
}

/** The engine builds made from one configured tree: simd (plain SIMD128) and relaxed (relaxed-SIMD kernels). */
const VARIANTS = {
  simd: { relaxed: false },
  relaxed: { relaxed: true },
}

function build() {
  const started = Date.now()
  const work = path.resolve(opts.work)
  fs.mkdirSync(work, { recursive: true })
  const emcc = checkEmscripten()
  const llamaDir = prepareLlamaCpp(work)
  const glueDir = prepareGlue(work)
  // one tree for both variants: the option only changes ggml-cpu's flags and the link, so the second build is short
  const buildDir = path.join(work, 'build-simd')
  const env = emEnv()
  for (const variant of opts.variants.split(',')) {
    const { relaxed } = VARIANTS[variant] ?? {}
    if (relaxed === undefined) throw new Error(`unknown variant ${variant}: expected ${Object.keys(VARIANTS)}`)
    const flags = [...CMAKE_FLAGS, `-DOXI_RELAXED_SIMD=${relaxed ? 'ON' : 'OFF'}`]
    run(
      'emcmake',
      [
        'cmake',
        '-S',
        path.join(root, 'wasm', 'build'),
        '-B',
        buildDir,
        `-DLLAMA_CPP_DIR=${llamaDir}`,
        `-DWLLAMA_CPP_DIR=${glueDir}`,
        ...flags,
        // set on every run, so that a profiling build's cache entry never reaches a build meant for wasm/
        `-DOXI_PROFILING_FUNCS=${opts.profiling ? 'ON' : 'OFF'}`,
      ],
      { env },
    )
    run('emmake', ['make', '-C', buildDir, `-j${opts.jobs}`, 'wllama'], { env })
    const out = path.resolve(
      opts.out ?? (opts.profiling ? path.join(root, '.cache', 'wasm-profiling') : path.join(root, 'wasm')),
      variant,
    )
    fs.mkdirSync(out, { recursive: true })
    for (const name of OUTPUTS) fs.copyFileSync(path.join(buildDir, name), path.join(out, name))
    const patchNames = fs
      .readdirSync(path.join(root, 'wasm', 'patches'))
      .filter((f) => f.endsWith('.patch'))
      .sort()
    const info = {
      inputs: INPUTS,
      emcc,
      ...(relaxed
        ? { relaxed_kernels_compiler: execFileSync('clang-16', ['--version'], { encoding: 'utf8' }).split('\n')[0] }
        : {}),
      cmake_flags: flags,
      ...(opts.profiling ? { profiling_funcs: true } : {}),
      patches: patchNames,
      // test/unit/wasm/build-info.test.ts compares these with the patches in the repository: a patch edited or added
      // without rebuilding the committed engines fails there
      patch_sha256: Object.fromEntries(patchNames.map((f) => [f, sha256(path.join(root, 'wasm', 'patches', f))])),
      sha256: Object.fromEntries(OUTPUTS.map((name) => [name, sha256(path.join(out, name))])),
    }
    fs.writeFileSync(path.join(out, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`)
    console.log(
      `built ${path.relative(root, out)}/{${OUTPUTS.join(',')}}: sha256 wllama.wasm ${info.sha256['wllama.wasm']}`,
    )
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`)
}

build()
