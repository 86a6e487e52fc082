import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import OpenAI from 'openai'
import type { Test } from 'tap'
import { ensureRuntime } from '../../scripts/runtimes.js'
import { bundleEnv, type Exit } from './bundle-server.js'
import { modelPath, REPO_ROOT } from './paths.js'

/** A runtime of the matrix: the system Node (20), Node 22 and 24, Deno and Bun from npm. */
export type MatrixRuntime = 'node20' | 'node22' | 'node24' | 'deno' | 'bun'

const MODEL = 'stories260K'
// A tiny JSON answer, so an Assistants run completes in a few tokens
const TINY_ANSWER = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'a',
    schema: { type: 'object', properties: { a: { type: 'string', maxLength: 8 } }, required: ['a'] },
  },
}
const READY = /^oxillama-server ready on (http:\/\/[^\s:]+:\d+)\b.*$/m
const EXIT_MS = 30_000

/** The binary of a runtime; the npm ones install into .cache on first use. */
export async function runtimeBinary(runtime: MatrixRuntime): Promise<string> {
  return runtime === 'node20' ? process.execPath : ensureRuntime(runtime)
}

/** The command that runs a script on a runtime (Deno needs `run -A`: it reads, writes and spawns workers). */
export function scriptCommand(runtime: MatrixRuntime, bin: string, script: string, args: string[] = []): string[] {
  return runtime === 'deno' ? [bin, 'run', '-A', script, ...args] : [bin, script, ...args]
}

/** A server process of the matrix, ready, with an openai client on its URL. */
export type MatrixServer = {
  readonly child: ChildProcess
  readonly url: string
  readonly readyLine: string
  readonly client: OpenAI
  stderr(): string
  readonly exited: Promise<Exit>
  /** Resolves when its output pipes closed: every process holding them (a launcher's server too) has exited. */
  readonly closed: Promise<void>
  /** Sends a signal to the server: to its process group when it runs under a launcher (npx). */
  signal(signal: NodeJS.Signals): void
}

/**
 * Spawns `command` in `cwd` and resolves once it prints the ready line; the process is killed at teardown. With
 * `group`, it runs in its own process group and signals go to the group, as a terminal sends Ctrl-C to a launcher
 * (npx) and the server it started.
 */
export async function startMatrixServer(
  t: Test,
  command: string[],
  options: { cwd: string; env?: Record<string, string>; group?: boolean },
): Promise<MatrixServer> {
  const [bin = '', ...args] = command
  const child = spawn(bin, args, {
    cwd: options.cwd,
    env: { ...bundleEnv(), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group === true,
  })
  const signal = (name: NodeJS.Signals) => {
    if (options.group && child.pid !== undefined) process.kill(-child.pid, name)
    else child.kill(name)
  }
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text))
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  t.teardown(() => {
    try {
      if (options.group || (child.exitCode === null && child.signalCode === null)) signal('SIGKILL')
    } catch {
      // the group is gone already
    }
  })
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const check = () => {
      const found = READY.exec(out)
      if (found) {
        child.stdout.off('data', check)
        resolve(found)
      }
    }
    child.stdout.on('data', check)
    exited.then((exit) =>
      reject(
        new Error(`${command.join(' ')} exited (${exit.code ?? exit.signal}) before it was ready\n${out}\n${err}`),
      ),
    )
  })
  const url = match[1] ?? ''
  return {
    child,
    url,
    readyLine: match[0],
    client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 }),
    stderr: () => err,
    exited,
    closed,
    signal,
  }
}

/** The environment of a running process (Linux). */
export function environOf(pid: number): Map<string, string> {
  const entries = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean)
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]))
}

/** The environment the examples read (README): the model, template, one thread, any port and a data dir. */
export function exampleEnv(dataDir: string): Record<string, string> {
  return {
    MODEL: modelPath('stories260K.gguf'),
    CHAT_TEMPLATE: 'chatml',
    THREADS: '1',
    PORT: '0',
    DATA_DIR: dataDir,
  }
}

/**
 * An application folder as a user's: package.json, node_modules/oxillama-server linked to this repository (its
 * `exports` point at dist/), and the examples copied in unchanged.
 */
export function exampleApp(t: Test): string {
  const dir = tempDir(t, 'oxillama-app-')
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { 'oxillama-server': '*' } }),
  )
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(REPO_ROOT, path.join(dir, 'node_modules', 'oxillama-server'), 'dir')
  for (const file of fs.readdirSync(path.join(REPO_ROOT, 'examples'))) {
    fs.copyFileSync(path.join(REPO_ROOT, 'examples', file), path.join(dir, file))
  }
  return dir
}

/** A temporary directory removed at teardown. */
export function tempDir(t: Test, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * What every runtime must do, driven by the openai SDK: a chat stream, embeddings, a streamed Assistants run and
 * an invalid body answered with the 400 envelope; then SIGTERM ends the process cleanly.
 */
export async function exerciseServer(t: Test, server: MatrixServer, options: { group?: boolean } = {}): Promise<void> {
  const { client } = server
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Hello' }],
    max_tokens: 8,
    stream: true,
  })
  let chunks = 0
  let finish: string | null = null
  for await (const chunk of stream) {
    chunks++
    finish = chunk.choices[0]?.finish_reason ?? finish
  }
  t.ok(chunks > 2, `a chat stream (${chunks} chunks)`)
  t.equal(finish, 'length', 'ends on max_tokens')

  // a client that leaves: the runtime's server must tell the transport, which aborts the request (and so the engine)
  const { data: long, response } = await client.chat.completions
    .create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Once upon a time' }],
      max_tokens: 2000,
      stream: true,
      ignore_eos: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming)
    .withResponse()
  let read = 0
  for await (const chunk of long) if (chunk.choices.length > 0 && ++read === 3) break
  const requestId = response.headers.get('x-request-id') ?? 'none'
  const abortedLine = new RegExp(`POST /v1/chat/completions 200 .* ${requestId} aborted\\n`)
  for (let i = 0; i < 400 && !abortedLine.test(server.stderr()); i++) await new Promise((r) => setTimeout(r, 50))
  t.match(server.stderr(), abortedLine, 'a stream the client leaves is logged aborted')

  const embeddings = await client.embeddings.create({ model: MODEL, input: ['hello', 'world'] })
  t.equal(embeddings.data.length, 2, 'embeddings: one vector per input')
  t.ok((embeddings.data[0]?.embedding.length ?? 0) > 0, 'a non-empty vector')

  const assistant = await client.beta.assistants.create({ model: MODEL })
  const events = await client.beta.threads.createAndRun({
    assistant_id: assistant.id,
    response_format: TINY_ANSWER,
    thread: { messages: [{ role: 'user', content: 'Hi' }] },
    stream: true,
  })
  const seen: string[] = []
  for await (const event of events) seen.push(event.event)
  t.equal(seen[0], 'thread.created', 'a streamed Assistants run starts with thread.created')
  t.ok(seen.includes('thread.message.delta'), 'streams message deltas')
  t.equal(seen.at(-1), 'thread.run.completed', 'and completes')

  const invalid = await client.chat.completions.create({ model: MODEL, messages: 'not a list' } as never).then(
    () => null,
    (error: unknown) => error,
  )
  t.ok(invalid instanceof OpenAI.BadRequestError, 'an invalid body: 400')
  if (invalid instanceof OpenAI.BadRequestError) {
    t.equal(invalid.type, 'invalid_request_error')
    t.equal(invalid.param, 'messages', 'the envelope names the field')
  }

  server.signal('SIGTERM')
  const within = <T>(promise: Promise<T>) =>
    Promise.race([promise, new Promise<null>((resolve) => setTimeout(() => resolve(null), EXIT_MS).unref())])
  const exit = await within(server.exited)
  if (options.group) {
    // the launcher dies of the signal itself; the server under it stops cleanly and exits, closing the pipes
    t.not(exit, null, 'SIGTERM to the group: the launcher exits')
    t.not(await within(server.closed), null, 'and so does the server')
    t.match(server.stderr(), /INFO {2}stopped\n/, 'after stopping cleanly')
  } else {
    t.same(exit, { code: 0, signal: null }, 'SIGTERM: the process exits with code 0')
  }
}
