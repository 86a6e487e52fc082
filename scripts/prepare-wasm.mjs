// Prepares the engine's assets under wasm/ from the pinned @wllama packages and our own builds (wasm/simd/ and
// wasm/relaxed/, made by scripts/build-wasm.mjs and committed): the worker scripts as real .cjs files (emscripten starts pthreads from a
// file path; blob:/data: URLs do not work in worker_threads) and the .wasm files. Nothing from the packages is
// modified; the worker script only gets a small Node prelude, a synchronous file read for our builds and a few string
// patches. Our glue (emscripten 3.1.6) gets two small string patches; each patch is checked to match exactly once.
//
// usage: node scripts/prepare-wasm.mjs [OUT_DIR (default wasm/)] [--builds DIR (our builds from DIR/simd, DIR/relaxed
//        where present, e.g. build-wasm.mjs's --out; then point OXILLAMA_WASM_DIR at OUT_DIR)]
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const wllamaDir = path.dirname(require.resolve('@wllama/wllama/package.json'))
const compatDir = path.dirname(require.resolve('@wllama/wllama-compat/package.json'))

const builds = (buildsDir) => ({
  main: { glue: path.join(wllamaDir, 'src/wasm/wllama.js'), wasm: path.join(wllamaDir, 'esm/wasm/wllama.wasm') },
  compat: { glue: path.join(compatDir, 'wasm/wllama.js'), wasm: path.join(compatDir, 'wasm/wllama.wasm') },
  simd: ownBuild('simd', buildsDir),
  relaxed: ownBuild('relaxed', buildsDir),
})

/** One of our emscripten 3.1.6 builds (scripts/build-wasm.mjs): buildsDir/<name>/ if it has one, else wasm/<name>/. */
function ownBuild(name, buildsDir) {
  const dir = [buildsDir, path.join(root, 'wasm')]
    .filter(Boolean)
    .map((d) => path.join(d, name))
    .find((d) => fs.existsSync(path.join(d, 'wllama.wasm')))
  return {
    glue: path.join(dir, 'wllama.js'),
    wasm: path.join(dir, 'wllama.wasm'),
    worker: path.join(dir, 'wllama.worker.js'),
    own: true,
  }
}
// Emscripten 3.1.6 differs from the 4.x glue that wllama's worker code expects:
const ownGluePatches = (name) => [
  // it starts pthreads from a separate worker.js found through locateFile, which wllama's locateFile refuses
  ['locateFile("wllama.worker.js")', `require('node:path').join(__dirname, 'worker-${name}.cjs')`],
  // with a pool size of 0 (one thread) nothing ever removes the "wasm-instantiate" run dependency, so it never starts
  [
    'var numWorkersToLoad=PThread.unusedWorkers.length;',
    'var numWorkersToLoad=PThread.unusedWorkers.length;if(!numWorkersToLoad)removeRunDependency("wasm-instantiate");',
  ],
]
// its loader prefers fetch() for the .wasm path when a global fetch exists (Node 18+), and fetch cannot read files
const NO_FETCH = 'var fetch = undefined;\n'
const WORKER_CODE = path.join(wllamaDir, 'src/workers-code/llama-cpp.js')
// The model's bytes go straight from the file into the wasm heap: each read request carries the destination and the
// (shared) wasm memory, and the host answers with the byte count after reading in place. Without it every byte
// passed through a fresh ArrayBuffer per read, and malloc kept about a model's size of them after the load.
// A runtime that cannot post the memory falls back to the copying answer (an ArrayBuffer), which still works.
const WORKER_PATCHES = [
  // each file's path on disk, sent by the host with fs.alloc, for the synchronous reads below
  [
    'const argAllocBuffer = args[2];',
    'const argAllocBuffer = args[2];\n    if (args[3]) fsNameToPath[argFilename] = args[3];',
  ],
  // ggml's thread pool runs on the calling thread plus threads - 1 pthreads, so the host asks for a pool of
  // threads - 1; wllama's worker only turns threads on for a pool of 2 or more
  ['hasMultithread = pthreadPoolSize > 1;', 'hasMultithread = pthreadPoolSize > 0;'],
  [
    "postMessage({ verb: 'fs.read_req', args: [name, offset, req_size] });",
    "try { postMessage({ verb: 'fs.read_req', args: [name, offset, req_size, out_ptr, Module.wasmMemory] }); } catch { postMessage({ verb: 'fs.read_req', args: [name, offset, req_size] }); }",
  ],
  [
    'const bytes = new Uint8Array(data);',
    "if (typeof data === 'number') return toSizeT(data);\n  const bytes = new Uint8Array(data);",
  ],
]

// Our builds without Asyncify (wasm/patches/wllama-cpp-sync-file-read.patch) call this instead of the async
// _wllama_js_file_read: the engine thread reads the model file itself, straight into the wasm heap, and tells the host
// how many bytes it read (load progress). An error is logged and read as 0 bytes: llama.cpp then fails the load.
// One open per read, so a terminated worker leaves no file descriptor behind (they belong to the process).
const SYNC_FILE_READ = `
const fsNameToPath = {};
const _wllama_js_file_read_sync = (path, offset, req_size, out_ptr) => {
  const name = _stripModelsPrefix(path);
  const fs = require('node:fs');
  let fd;
  try {
    fd = fs.openSync(fsNameToPath[name], 'r');
    let done = 0;
    while (done < req_size) {
      const n = fs.readSync(fd, getHeapU8(), out_ptr + done, req_size - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    msg({ verb: 'fs.read_done', args: [done] });
    return done;
  } catch (err) {
    msg({ verb: 'console.error', args: ['Cannot read ' + name + ': ' + err.message] });
    return 0;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
};
`

// Node 20 has no global navigator; the glue reads navigator.hardwareConcurrency.
const NAV_SHIM =
  "if (typeof navigator === 'undefined') globalThis.navigator = { hardwareConcurrency: require('node:os').cpus().length, userAgent: 'Node.js/' + process.version, language: 'en-US' };\n"
// llama-cpp.js is written for a Web Worker: give it self, postMessage and onmessage on top of worker_threads.
// Sloppy mode on purpose: llama-cpp.js assigns the global onmessage.
const PRELUDE = `// generated by scripts/prepare-wasm.mjs from @wllama/wllama 3.8.1; do not edit
${NAV_SHIM}const __wt = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (data, transfer) => __wt.parentPort.postMessage(data, transfer || []);
__wt.parentPort.on('message', (data) => globalThis.onmessage && globalThis.onmessage({ data }));
const RUN_OPTIONS = __wt.workerData.runOptions;
`
// The compat glue has no JSPI; stub the API so the shared worker code runs unchanged.
const JSPI_STUB =
  'if (!WebAssembly.Suspending) { WebAssembly.Suspending = (fn) => fn; WebAssembly.promising = (fn) => (...a) => { try { return Promise.resolve(fn(...a)); } catch (e) { return Promise.reject(e); } }; }\n'

/** Writes the engine assets into outDir; returns the list of files written. */
export function prepareWasm(outDir = path.join(root, 'wasm'), buildsDir = undefined) {
  fs.mkdirSync(outDir, { recursive: true })
  const worker = patchOnce(fs.readFileSync(WORKER_CODE, 'utf8'), WORKER_PATCHES, WORKER_CODE) + SYNC_FILE_READ
  const written = []
  for (const [name, build] of Object.entries(builds(buildsDir))) {
    let glue = fs.readFileSync(build.glue, 'utf8')
    let noFetch = ''
    if (build.own) {
      glue = patchOnce(glue, ownGluePatches(name), build.glue)
      noFetch = NO_FETCH
      write(path.join(outDir, `worker-${name}.cjs`), NAV_SHIM + fs.readFileSync(build.worker, 'utf8'), written)
    }
    // Same trick as wllama's worker.ts: rename the glue's "var Module" so it binds to llama-cpp.js's config object.
    const engine = `${PRELUDE}function wModuleInit() {\n${JSPI_STUB}${noFetch}${glue.replace('var Module', 'var ___Module')};\nreturn Module;\n}\n${worker}`
    write(path.join(outDir, `engine-${name}.cjs`), engine, written)
    write(path.join(outDir, `pthread-${name}.cjs`), NAV_SHIM + glue, written)
    write(path.join(outDir, `wllama-${name}.wasm`), fs.readFileSync(build.wasm), written)
  }
  return written
}

function patchOnce(text, patches, file) {
  for (const [from, to] of patches) {
    const count = text.split(from).length - 1
    if (count !== 1) throw new Error(`Cannot patch ${file}: '${from}' occurs ${count} times, expected once`)
    text = text.replace(from, to)
  }
  return text
}

function write(file, content, written) {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, content)
  fs.renameSync(tmp, file)
  written.push(file)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ options: { builds: { type: 'string' } }, allowPositionals: true })
  const files = prepareWasm(positionals[0], values.builds && path.resolve(values.builds))
  console.log(`prepared ${files.length} engine assets in ${path.dirname(files[0])}`)
}
