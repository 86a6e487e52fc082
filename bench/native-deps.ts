// Installs the native llama.cpp baseline (node-llama-cpp's prebuilt CPU binary) into .cache/bench-native.
import { spawn } from 'node:child_process'
import { access, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { acquireFileLock } from '../src/acquire/file-lock.js'
import { CACHE_DIR } from './paths.js'

/** The pinned native baseline: the same node-llama-cpp and prebuilt binary the feasibility probe timed. */
export const NATIVE_PACKAGES = ['node-llama-cpp@3.22.1', '@node-llama-cpp/linux-x64@3.22.1'] as const

const PREFIX = path.join(CACHE_DIR, 'bench-native')
const MARKER = path.join(PREFIX, `installed-${NATIVE_PACKAGES.join('+').replaceAll('/', '_')}`)

/**
 * Returns the install prefix of the native baseline, installing it first if needed (linux-x64 only).
 * Install scripts are skipped and optional (GPU) packages omitted: llama.cpp is never downloaded or compiled.
 */
export async function ensureNativeDeps(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Cannot install the native baseline: only @node-llama-cpp/linux-x64 is used, and this is ${process.platform}-${process.arch}`,
    )
  }
  if (await exists(MARKER)) return PREFIX
  await mkdir(PREFIX, { recursive: true })
  const release = await acquireFileLock(`${PREFIX}.lock`, {
    onWait: () => console.error('bench-native: another process is installing node-llama-cpp; waiting'),
  })
  try {
    if (await exists(MARKER)) return PREFIX
    await npmInstall()
    await access(path.join(PREFIX, 'node_modules', '@node-llama-cpp', 'linux-x64', 'bins')).catch(() => {
      throw new Error(
        'Cannot find the prebuilt binary: @node-llama-cpp/linux-x64 has no bins/ folder after npm install',
      )
    })
    await writeFile(MARKER, `${NATIVE_PACKAGES.join('\n')}\n`)
    return PREFIX
  } finally {
    await release()
  }
}

/** The file URL-able path of node-llama-cpp's ESM entry inside the prefix. */
export function nodeLlamaCppEntry(prefix: string): string {
  return path.join(prefix, 'node_modules', 'node-llama-cpp', 'dist', 'index.js')
}

async function npmInstall(): Promise<void> {
  const args = [
    'install',
    '--omit=optional',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--prefix',
    PREFIX,
    ...NATIVE_PACKAGES,
  ]
  console.error(`bench-native: npm ${args.join(' ')}`)
  await new Promise<void>((resolve, reject) => {
    // NODE_LLAMA_CPP_SKIP_DOWNLOAD: even if a postinstall ran, it would not fetch or build llama.cpp
    const env = { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' }
    const child = spawn('npm', args, { cwd: PREFIX, env, stdio: ['ignore', 2, 2] })
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`Cannot install ${NATIVE_PACKAGES.join(' ')}: npm exited with ${signal ?? code}`)),
    )
  })
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}
