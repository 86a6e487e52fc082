// npm start [-- flags]: builds dist/ when it is missing or older than its sources, then runs the bundle with the
// given flags and glibc's malloc settings below, forwarding signals and the exit status.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BUNDLE = path.join(root, 'dist', 'oxillama-server.cjs')
const SOURCES = ['src', 'scripts/build.mjs', 'scripts/prepare-wasm.mjs', 'package.json', 'package-lock.json']
const OUTPUTS = [
  BUNDLE,
  'dist/oxillama-server.mjs',
  'dist/wasm/engine-main.cjs',
  'dist/wasm/wllama-main.wasm',
  'dist/wasm/wllama-compat.wasm',
  'dist/pglite.wasm',
]

// glibc keeps what V8's compiler threads free in per-thread arenas: the engine's first requests send its op dispatcher
// to TurboFan (~190 MB of compiler memory), and that memory stayed resident. Two arenas, and mmap for blocks of
// 128 KiB and more, hand most of it back (135M model, 2 threads: 511 -> 439 MiB; README "Startup and footprint").
// glibc reads them once at process start, hence here; values the user set win; other C libraries ignore them. The
// CLI bundle adds the same values itself where Node has process.execve (22.15+; src/malloc-env.ts): this is for Node 20.
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' }

/** Newest modification time under a file or folder (0 when missing). */
function newestMtime(target) {
  let stat
  try {
    stat = fs.statSync(target)
  } catch {
    return 0
  }
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs // a deleted file changes its folder's mtime
  for (const entry of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)))
  return newest
}

/** True when dist/ is missing a file or older than any source. */
export function needsBuild() {
  const outputs = OUTPUTS.map((file) => path.resolve(root, file))
  if (!outputs.every((file) => fs.existsSync(file))) return true
  const built = fs.statSync(BUNDLE).mtimeMs
  return SOURCES.some((source) => newestMtime(path.join(root, source)) > built)
}

/** Runs the bundle with args, forwarding signals; resolves when it exits. */
function run(args) {
  const child = spawn(process.execPath, [BUNDLE, ...args], { stdio: 'inherit', env: { ...MALLOC_ENV, ...process.env } })
  const forward = (signal) => {
    // Ctrl-C in a terminal already reached the whole foreground process group, the server included
    if (signal === 'SIGINT' && process.stdin.isTTY) return
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const signal of signals) process.on(signal, forward)
  child.on('error', (error) => {
    console.error(`Cannot start ${BUNDLE}: ${error.message}`)
    process.exitCode = 1
  })
  child.on('exit', (code, signal) => {
    for (const name of signals) process.off(name, forward)
    if (signal !== null) {
      process.kill(process.pid, signal) // die the same way, so our parent sees the signal
      return
    }
    process.exitCode = code ?? 1
  })
}

async function main() {
  // build output goes to stderr so that stdout is the server's alone (npm start -- --version)
  if (needsBuild()) {
    const { build } = await import('./build.mjs') // esbuild loads only when needed
    await build({ log: (line) => console.error(line) })
  }
  run(process.argv.slice(2))
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    if (!Array.isArray(error?.errors)) console.error(error) // esbuild already printed its own errors
    process.exitCode = 1
  })
}
