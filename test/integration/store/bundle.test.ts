import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { promisify } from 'node:util'
import * as esbuild from 'esbuild'
import t from 'tap'
import { REPO_ROOT } from '../../helpers/paths.js'
import { tempDir } from '../../helpers/store.js'

const run = promisify(execFile)
const PGLITE_DIST = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'))

// Same CJS recipe as scripts/build.mjs: a CJS bundle has no import.meta, so PGlite's
// new URL('./pglite.wasm', import.meta.url) must see the bundle's own file URL
async function bundleProbe(outDir: string): Promise<string> {
  const entry = path.join(outDir, 'probe.ts')
  await writeFile(
    entry,
    `
import { openPgliteStore } from ${JSON.stringify(path.join(REPO_ROOT, 'src/store/pglite.ts'))}
async function main(): Promise<void> {
  const [dir, assetsDir] = process.argv.slice(2)
  const store = await openPgliteStore(dir as string, assetsDir === undefined ? {} : { assetsDir })
  const thread = await store.threads.create({ messages: [{ role: 'user', content: 'from the bundle' }] })
  console.log(JSON.stringify((await store.messages.list(thread.id)).data.map((m) => m.content)))
  await store.close()
}
main().catch((err: Error) => { console.error('FAILED ' + err.message); process.exit(1) })
`,
  )
  const outfile = path.join(outDir, 'probe.cjs')
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    banner: { js: "const __import_meta_url = require('url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__import_meta_url' },
  })
  return outfile
}

t.test('a CJS bundle of the store runs with assetsDir and no PGlite files beside it', async (t) => {
  const out = await tempDir(t, 'oxillama-bundle-')
  const bundle = await bundleProbe(out)
  const data = await tempDir(t)
  const { stdout } = await run(process.execPath, [bundle, data, PGLITE_DIST])
  t.same(JSON.parse(stdout), [[{ type: 'text', text: { value: 'from the bundle', annotations: [] } }]])
})

t.test('without assetsDir the bundle needs pglite.wasm, initdb.wasm and pglite.data beside it', async (t) => {
  const out = await tempDir(t, 'oxillama-bundle-')
  const bundle = await bundleProbe(out)
  const data = await tempDir(t)
  // PGlite reads them through a promise with no catch: the process dies of an unhandled rejection
  await t.rejects(run(process.execPath, [bundle, data]), {
    message: /Command failed/,
    stderr: /ENOENT[^\n]*pglite\.(data|wasm)/,
  })
})

t.test('an assetsDir without the files is a clean rejection from openPgliteStore', async (t) => {
  const out = await tempDir(t, 'oxillama-bundle-')
  const bundle = await bundleProbe(out)
  const data = await tempDir(t)
  await t.rejects(run(process.execPath, [bundle, data, out]), {
    message: /Command failed/,
    stderr: /^FAILED Cannot open the store: PGlite's pglite\.wasm is missing from .*ENOENT/m,
  })
})
