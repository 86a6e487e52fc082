import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from './paths.js'

/** A bundled server started for a benchmark. */
export type BenchServer = { url: string; child: ChildProcess; stop(): Promise<void> }

/**
 * Starts dist/oxillama-server.cjs (run `npm run build` first) on a free port and waits for its ready line.
 * The server is its own process so that its CPU time is not the load generator's.
 */
export async function startBenchServer(args: string[]): Promise<BenchServer> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-bench-'))
  const bundle = path.join(REPO_ROOT, 'dist', 'oxillama-server.cjs')
  const child = spawn(
    process.execPath,
    [bundle, '--port', '0', '--data-dir', dataDir, '--log-level', 'error', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      const match = /ready on (http:\/\/[^\s:]+:\d+)/.exec(out)
      if (match?.[1]) resolve(match[1])
    })
    child.on('exit', (code) => reject(new Error(`The server exited (${code}) before it was ready`)))
  })
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('exit', resolve))
      await fs.rm(dataDir, { recursive: true, force: true })
    },
  }
}
