import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { parseBenchResult, type BenchResult } from './bench-result.js'
import { REPO_ROOT } from './paths.js'

/** How long one benchmark child may run before it is killed. */
export const CHILD_TIMEOUT_MS = 20 * 60_000

const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/**
 * Runs a TypeScript benchmark child (`node --import tsx script args`) and returns the BenchResult from the
 * last JSON line of its stdout; its stderr passes through. One child per configuration, so maxRSS is per run.
 */
export async function runBenchChild(
  nodeBin: string,
  script: string,
  options: { args: readonly string[]; timeoutMs?: number },
): Promise<BenchResult> {
  const child = spawn(nodeBin, ['--import', TSX_LOADER, script, ...options.args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk
  })
  const timeoutMs = options.timeoutMs ?? CHILD_TIMEOUT_MS
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.on('error', reject)
        child.on('close', (c, s) => resolve({ code: c, signal: s }))
      },
    )
    if (code !== 0) {
      const why = signal === 'SIGKILL' ? `was killed after ${timeoutMs} ms` : `exited with ${signal ?? code}`
      throw new Error(`Cannot benchmark: ${script} ${why}`)
    }
  } finally {
    clearTimeout(timer)
  }
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'))
  if (!line) throw new Error(`Cannot benchmark: ${script} printed no JSON result line`)
  return parseBenchResult(line)
}
