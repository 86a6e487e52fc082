import t from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../helpers/paths.js'

const DIST = path.join(REPO_ROOT, 'dist')
const BUNDLE_NAME = 'oxillama-server.cjs'
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version
// What scripts/build.mjs puts beside the bundle: the engine assets and the files PGlite loads relative to it
const SIDECARS = [
  'wasm/engine-simd.cjs',
  'wasm/pthread-simd.cjs',
  'wasm/worker-simd.cjs',
  'wasm/wllama-simd.wasm',
  'wasm/engine-relaxed.cjs',
  'wasm/pthread-relaxed.cjs',
  'wasm/worker-relaxed.cjs',
  'wasm/wllama-relaxed.wasm',
  'wasm/engine-main.cjs',
  'wasm/pthread-main.cjs',
  'wasm/wllama-main.wasm',
  'wasm/engine-compat.cjs',
  'wasm/pthread-compat.cjs',
  'wasm/wllama-compat.wasm',
  'pglite.wasm',
  'pglite.data',
  'initdb.wasm',
]

type Run = { code: number | null; stdout: string; stderr: string }

/** Runs the copied bundle with Node, in its own folder, with no NODE_PATH to find the repo's node_modules. */
function runBundle(dir: string, args: string[]): Promise<Run> {
  const env = { ...process.env }
  delete env.NODE_PATH
  delete env.NODE_OPTIONS // tap's --import=tsx loader must not help the bundle
  for (const name of Object.keys(env)) if (name.startsWith('OXILLAMA_')) delete env[name]
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(dir, BUNDLE_NAME), ...args],
      { cwd: dir, env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, stdout, stderr })
      },
    )
  })
}

if (!fs.existsSync(path.join(DIST, BUNDLE_NAME))) {
  t.fail(
    `${path.join(DIST, BUNDLE_NAME)} is missing: run \`npm run build\` first (\`npm test\` builds before it tests)`,
  )
} else {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oxillama-bundle-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.cpSync(DIST, dir, { recursive: true })

  t.test('the copied dist/ holds the bundle and the files it loads, with no node_modules', async (t) => {
    for (const file of SIDECARS) t.ok(fs.existsSync(path.join(dir, file)), file)
    t.notOk(fs.existsSync(path.join(dir, 'node_modules')))
    const bundle = fs.readFileSync(path.join(dir, BUNDLE_NAME), 'utf8')
    t.ok(bundle.startsWith('#!/usr/bin/env node\n'), 'starts with a node shebang')
    t.ok((fs.statSync(path.join(dir, BUNDLE_NAME)).mode & 0o111) !== 0, 'is executable')
    t.match(bundle.split('\n')[1], /^const __import_meta_url = /, 'defines the import.meta.url stand-in')
  })

  t.test('the bundle prints its version with --version and -v', async (t) => {
    for (const flag of ['--version', '-v']) {
      const run = await runBundle(dir, [flag])
      t.equal(run.code, 0, `${flag} exits 0`)
      t.equal(run.stdout, `oxillama-server ${VERSION}\n`)
      t.equal(run.stderr, '')
    }
  })

  t.test('the bundle prints the help text with --help', async (t) => {
    const run = await runBundle(dir, ['--help'])
    t.equal(run.code, 0)
    t.match(run.stdout, /^Usage: oxillama-server \[start\] --model <path\|url> \[options\]$/m)
    for (const flag of [
      '--model',
      '--hf-repo',
      '--ctx-size',
      '--api-key',
      '--transport',
      '--max-body',
      '--cache-dir',
    ]) {
      t.match(run.stdout, flag)
    }
  })

  t.test('the bundle refuses an unknown flag with a suggestion and a bad value naming the flag', async (t) => {
    const unknown = await runBundle(dir, ['--prot', '8080'])
    t.not(unknown.code, 0, 'exits non-zero')
    t.match(unknown.stderr, /Unknown flag --prot \(did you mean --port\?\)/)
    t.equal(unknown.stdout, '')
    const bad = await runBundle(dir, ['--port', '70000'])
    t.not(bad.code, 0)
    t.match(bad.stderr, /--port: must be a whole number from 0 to 65535, got '70000'/)
  })
}
