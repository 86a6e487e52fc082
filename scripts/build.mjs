// Builds dist/: a CommonJS bundle of src/main.ts (the CLI), an ES module bundle of src/server.ts (the library entry,
// package.json `exports`), plus the runtime files both load from beside themselves.
//
//   dist/oxillama-server.cjs (+ .map)  everything bundled except the optional uWS binaries (uWebSockets.js and
//                                      uwebsockets stay require()s: native .node files chosen at run time; without
//                                      them the server falls back to node:http)
//   dist/oxillama-server.mjs (+ .map)  createServer(), bundled the same way; ESM_BANNER gives it the require,
//                                      __filename and __dirname that bundled CommonJS code (and the uWS loader) use
//   dist/oxillama-server.d.mts         its types: the declarations of src/server.ts, which imports no exported type
//   dist/wasm/engine-*.cjs, pthread-*.cjs, wllama-*.wasm, worker-simd.cjs, worker-relaxed.cjs
//                                      the engine assets written by scripts/prepare-wasm.mjs; src/engine/host/assets.ts
//                                      looks for them in wasm/ beside the bundle
//   dist/pglite.wasm, pglite.data, initdb.wasm
//                                      PGlite 0.5.16 (dist/index.js and its chunks) loads these with
//                                      new URL('./pglite.wasm', import.meta.url), new URL('./pglite.data', ...) and
//                                      new URL('./initdb.wasm', ...). In the bundle import.meta.url is the bundle's
//                                      own file URL (see BANNER), so they must sit next to oxillama-server.cjs.
//                                      Its contrib extensions (*.tar.gz) are not copied: the store loads none.
//
// import.meta.url: a CJS bundle has no import.meta, so the banner defines __import_meta_url from __filename and
// esbuild replaces every import.meta.url (ours and PGlite's) with it.
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'
import { prepareWasm } from './prepare-wasm.mjs'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BUNDLE_NAME = 'oxillama-server.cjs'
const PGLITE_FILES = ['pglite.wasm', 'pglite.data', 'initdb.wasm']
const EXTERNAL = ['uWebSockets.js', 'uwebsockets']
const BANNER = "#!/usr/bin/env node\nconst __import_meta_url = require('url').pathToFileURL(__filename).href;"
const LIBRARY_ENTRY = 'src/server.ts'
const LIBRARY_NAME = 'oxillama-server.mjs'
const ESM_BANNER = [
  "import { createRequire as __oxCreateRequire } from 'node:module';",
  "import { fileURLToPath as __oxFileURLToPath } from 'node:url';",
  "import { dirname as __oxDirname } from 'node:path';",
  'const require = __oxCreateRequire(import.meta.url);',
  'const __filename = __oxFileURLToPath(import.meta.url);',
  'const __dirname = __oxDirname(__filename);',
].join('\n')

/** Builds dist/ (or outDir, from another entry for probes), logging one line to log (null: silent); returns the bundle's path. */
export async function build({
  outDir = path.join(root, 'dist'),
  entry = path.join(root, 'src/main.ts'),
  log = console.log,
} = {}) {
  const started = Date.now()
  const wasmFiles = prepareWasm(path.join(root, 'wasm'))
  // Build beside outDir and swap it in at the end, so a reader never sees a half-written dist/
  const workDir = `${outDir}.${process.pid}.tmp`
  try {
    await buildInto(workDir, entry, wasmFiles)
    fs.rmSync(outDir, { recursive: true, force: true })
    fs.renameSync(workDir, outDir)
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true })
  }
  const bundle = path.join(outDir, BUNDLE_NAME)
  if (log) {
    const bytes = fs.statSync(bundle).size
    log(
      `built ${path.relative(root, bundle)} (${(bytes / 1024).toFixed(0)} KiB) with ${wasmFiles.length} engine ` +
        `assets and ${PGLITE_FILES.length} PGlite files in ${Date.now() - started} ms`,
    )
  }
  return bundle
}

async function buildInto(dir, entry, wasmFiles) {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(path.join(dir, 'wasm'), { recursive: true })
  const outfile = path.join(dir, BUNDLE_NAME)
  const common = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    sourcemap: 'linked',
    minify: false,
    keepNames: true,
    logLevel: 'warning', // esbuild prints warnings and errors itself
  }
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [entry],
      outfile,
      format: 'cjs',
      banner: { js: BANNER },
      define: { 'import.meta.url': '__import_meta_url' },
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(root, LIBRARY_ENTRY)],
      outfile: path.join(dir, LIBRARY_NAME),
      format: 'esm',
      banner: { js: ESM_BANNER },
    }),
  ])
  fs.writeFileSync(path.join(dir, LIBRARY_NAME.replace(/\.mjs$/, '.d.mts')), libraryDeclarations())
  fs.chmodSync(outfile, 0o755)
  for (const file of wasmFiles) {
    if (/\.(cjs|wasm)$/.test(file)) fs.copyFileSync(file, path.join(dir, 'wasm', path.basename(file)))
  }
  const pgliteDir = path.dirname(require.resolve('@electric-sql/pglite'))
  for (const name of PGLITE_FILES) fs.copyFileSync(path.join(pgliteDir, name), path.join(dir, name))
}

/** The library's .d.ts: src/server.ts's declarations, which must not depend on any other module's types. */
function libraryDeclarations() {
  const ts = require('typescript')
  const file = path.join(root, LIBRARY_ENTRY)
  const result = ts.transpileDeclaration(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true },
    reportDiagnostics: true,
  })
  const problems = result.diagnostics ?? []
  if (problems.length > 0) {
    const text = problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')
    throw new Error(`Cannot emit the declarations of ${LIBRARY_ENTRY}: ${text}`)
  }
  if (/^import /m.test(result.outputText))
    throw new Error(`${LIBRARY_ENTRY}'s declarations import other modules; keep its exported types in that file`)
  return result.outputText
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  build().catch((error) => {
    if (!Array.isArray(error?.errors)) console.error(error) // esbuild already printed its own errors
    process.exitCode = 1
  })
}
