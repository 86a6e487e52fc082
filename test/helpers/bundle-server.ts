import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import OpenAI from 'openai'
import { modelPath } from './paths.js'

/** The bundle's file name in dist/. */
export const BUNDLE_NAME = 'oxillama-server.cjs'

/** How a child process ended. */
export type Exit = { code: number | null; signal: NodeJS.Signals | null }

/** A bundled server running as a child process, with an openai client on the URL its ready line printed. */
export interface BundleServer {
  readonly child: ChildProcess
  /** `http://127.0.0.1:<port>` from the ready line. */
  readonly url: string
  /** The ready line itself. */
  readonly readyLine: string
  readonly client: OpenAI
  /** Everything the process wrote so far. */
  stdout(): string
  stderr(): string
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>
  /** Kills the process (SIGKILL) if it still runs and waits for it. */
  kill(): Promise<Exit>
}

/** The environment for a bundle: no NODE_OPTIONS (tap's tsx loader), NODE_PATH or OXILLAMA_* settings. */
export function bundleEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_PATH
  delete env.NODE_OPTIONS
  for (const name of Object.keys(env)) if (name.startsWith('OXILLAMA_')) delete env[name]
  return env
}

/** Spawns `node <dir>/oxillama-server.cjs ...args` with cwd `cwd`, collecting its output. */
export function spawnBundle(
  dir: string,
  args: string[],
  cwd: string,
): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [path.join(dir, BUNDLE_NAME), ...args], {
    cwd,
    env: bundleEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out += text
  })
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    err += text
  })
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  return { child, stdout: () => out, stderr: () => err, exited }
}

const READY = /^oxillama-server ready on (http:\/\/\S+?): model .*$/m

/**
 * Starts the bundle in `dir` on stories260K (chatml, 1 thread, port 0, the given data dir) and resolves once it prints
 * its ready line; rejects with its output if it exits first or is not ready within `timeoutMs`.
 */
export async function startBundleServer(
  dir: string,
  dataDir: string,
  options: { args?: string[]; timeoutMs?: number } = {},
): Promise<BundleServer> {
  const args = [...bundleArgs(dataDir), ...(options.args ?? [])]
  const proc = spawnBundle(dir, args, dataDir)
  const kill = async (): Promise<Exit> => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL')
    return proc.exited
  }
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      done()
      kill().catch(() => undefined)
      reject(
        new Error(
          `The bundle printed no ready line in ${options.timeoutMs ?? 90_000} ms\nstdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`,
        ),
      )
    }, options.timeoutMs ?? 90_000)
    const check = () => {
      const found = READY.exec(proc.stdout())
      if (found) {
        done()
        resolve(found)
      }
    }
    const exit = (exit: Exit) => {
      done()
      reject(
        new Error(
          `The bundle exited (${exit.code ?? exit.signal}) before it was ready\nstdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`,
        ),
      )
    }
    const done = () => {
      clearTimeout(timer)
      proc.child.stdout?.off('data', check)
    }
    proc.child.stdout?.on('data', check)
    proc.exited.then(exit, reject)
  })
  const url = match[1] ?? ''
  return {
    child: proc.child,
    url,
    readyLine: match[0],
    stdout: proc.stdout,
    stderr: proc.stderr,
    exited: proc.exited,
    kill,
    client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 }),
  }
}

/** Flags that start the bundle on stories260K in a data dir, on any free port. */
export function bundleArgs(dataDir: string): string[] {
  return [
    '--model',
    modelPath('stories260K.gguf'),
    '--chat-template',
    'chatml',
    '--port',
    '0',
    '--threads',
    '1',
    '--data-dir',
    dataDir,
  ]
}
