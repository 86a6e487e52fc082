import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from './paths.js'

/** A bundled server started for a benchmark. */
export type BenchServer = { url: string; child: ChildProcess; stop(): Promise<void> }

/** Options of `startBenchServer()`. */
export type BenchServerOptions = {
  /** `error` (the default here) keeps the terminal quiet; `default` leaves the server's own (info, with the access log). */
  logLevel?: 'error' | 'default'
  /** Prefix the command, e.g. `['taskset', '-c', '0']`. */
  wrapper?: string[]
}

/**
 * Starts dist/oxillama-server.cjs (run `npm run build` first) on a free port and waits for its ready line.
 * The server is its own process so that its CPU time is not the load generator's. At the default log level its
 * stderr (the access log) goes to a file in its data dir, as it would in production, not to the terminal.
 */
export async function startBenchServer(args: string[], options: BenchServerOptions = {}): Promise<BenchServer> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-bench-'))
  const bundle = path.join(REPO_ROOT, 'dist', 'oxillama-server.cjs')
  const quiet = (options.logLevel ?? 'error') === 'error'
  const logFile = quiet ? null : await fs.open(path.join(dataDir, 'server.log'), 'w')
  const [command = process.execPath, ...prefix] = [...(options.wrapper ?? []), process.execPath]
  const child = spawn(
    command,
    [...prefix, bundle, '--port', '0', '--data-dir', dataDir, ...(quiet ? ['--log-level', 'error'] : []), ...args],
    { stdio: ['ignore', 'pipe', logFile ? logFile.fd : 'inherit'] },
  )
  await logFile?.close() // the child holds its own copy of the descriptor
  const stdout = child.stdout
  if (!stdout) throw new Error('Cannot read the server: it has no stdout pipe')
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    stdout.setEncoding('utf8')
    stdout.on('data', (chunk: string) => {
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

/** The bundle serving a chat model as `bench` with the chatml template (stories260K has none of its own). */
export function startChatBenchServer(model: string, threads: string, extra: string[] = []): Promise<BenchServer> {
  return startBenchServer([
    '--model',
    model,
    '--chat-template',
    'chatml',
    '--threads',
    threads,
    ...extra,
    '--alias',
    'bench',
  ])
}
