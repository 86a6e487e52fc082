import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { startModelFileServer } from '../helpers/model-file-server.js'
import { modelPath, REPO_ROOT } from '../helpers/paths.js'
import { bundleEnv } from '../helpers/bundle-server.js'
import { bundleArgs } from '../helpers/bundle-server.js'
import { exerciseServer, startMatrixServer, tempDir } from '../helpers/runtime-matrix.js'

// The package as users get it: `npm pack` (its prepack builds dist/), installed into an empty folder and globally,
// started with `npx oxillama-server start ...`; `pull` downloads into the cache from a local file server
const run = promisify(execFile)
const MODEL_FILE = 'stories260K.gguf'

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: bundleEnv(),
    maxBuffer: 16 * 1024 * 1024,
  })
  return stdout
}

const work = tempDir(t, 'oxillama-pack-')
const packed = await npm(['pack', '--pack-destination', work], REPO_ROOT)
const tarball = path.join(work, packed.trim().split('\n').at(-1) ?? '')

t.test('npm pack builds dist/ and packs the bundles, their assets and types, without sources or maps', async (t) => {
  const { stdout } = await run('tar', ['-tzf', tarball])
  const files = stdout.trim().split('\n').sort()
  for (const file of [
    'package/dist/oxillama-server.cjs',
    'package/dist/oxillama-server.mjs',
    'package/dist/oxillama-server.d.mts',
    'package/dist/pglite.wasm',
    'package/dist/pglite.data',
    'package/dist/initdb.wasm',
    'package/dist/wasm/wllama-main.wasm',
    'package/dist/wasm/wllama-compat.wasm',
    'package/examples/deno.ts',
    'package/examples/bun.ts',
    'package/README.md',
  ])
    t.ok(files.includes(file), file)
  t.same(
    files.filter((file) => /\.map$|^package\/(src|test|scripts|bench)\//.test(file)),
    [],
    'no sources, tests or source maps',
  )
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: object
    scripts: Record<string, string>
  }
  t.equal(manifest.dependencies, undefined, 'no runtime dependencies: the bundles hold them')
  t.equal(manifest.scripts.prepack, 'npm run build')
})

t.test('installed into an empty folder: npx oxillama-server start serves; the library imports', async (t) => {
  const app = tempDir(t, 'oxillama-npx-')
  await npm(['install', '--prefer-offline', tarball], app)
  const dataDir = path.join(app, 'data')
  const server = await startMatrixServer(t, ['npx', 'oxillama-server', 'start', ...bundleArgs(dataDir)], {
    cwd: app,
    group: true,
  })
  t.match(server.readyLine, /, transport (uws|node), /)
  await exerciseServer(t, server, { group: true })

  const script = "import { createServer } from 'oxillama-server'; console.log(typeof createServer)"
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: bundleEnv() })
  t.equal(stdout.trim(), 'function', "import { createServer } from 'oxillama-server' works")
})

t.test('npm i -g: oxillama-server pull downloads into the cache once, and start serves the cached file', async (t) => {
  const prefix = tempDir(t, 'oxillama-global-')
  await npm(['install', '--global', '--prefer-offline', '--prefix', prefix, tarball], prefix)
  const bin = path.join(prefix, 'bin', 'oxillama-server')
  t.match((await run(bin, ['--version'], { env: bundleEnv() })).stdout, /^oxillama-server \d+\.\d+\.\d+/)

  const files = await startModelFileServer()
  t.teardown(() => files.close())
  const url = `${files.origin}/files/${MODEL_FILE}`
  const cacheDir = tempDir(t, 'oxillama-cache-')
  const pulled = await run(bin, ['pull', url, '--cache-dir', cacheDir], { env: bundleEnv() })
  const file = pulled.stdout.trim()
  t.ok(file.startsWith(cacheDir), `pull prints the cached file's path (${file})`)
  t.equal(fs.statSync(file).size, fs.statSync(modelPath(MODEL_FILE)).size, 'the whole file')
  t.match(pulled.stderr, /stories260K\.gguf .*100%/, 'with a progress line')
  t.equal(files.requestsTo('/files/').filter((r) => r.method === 'GET').length, 1, 'one download')

  const dataDir = tempDir(t, 'oxillama-data-')
  const args = bundleArgs(dataDir)
  args.splice(args.indexOf(modelPath(MODEL_FILE)), 1, url) // --model <url>
  const server = await startMatrixServer(t, [bin, 'start', ...args, '--cache-dir', cacheDir], { cwd: dataDir })
  const models = await server.client.models.list()
  t.same(
    models.data.map((m) => m.id),
    ['stories260K'],
  )
  t.equal(files.requestsTo('/files/').filter((r) => r.method === 'GET').length, 1, 'start downloaded nothing more')
  server.child.kill('SIGTERM')
  t.same(await server.exited, { code: 0, signal: null })

  const usage = await run(bin, ['pull', modelPath(MODEL_FILE)], { env: bundleEnv() }).catch((error: unknown) => error)
  t.match(usage, { code: 2, stderr: /is a local file: only a URL or --hf-repo is pulled/ }, 'a local file is no pull')
})
