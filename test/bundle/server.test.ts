import t, { type Test } from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type OpenAI from 'openai'
import {
  BUNDLE_NAME,
  bundleArgs,
  spawnBundle,
  startBundleServer,
  type BundleServer,
  type Exit,
} from '../helpers/bundle-server.js'
import { REPO_ROOT } from '../helpers/paths.js'

// The bundled server as users run it: `node dist/oxillama-server.cjs`, a real process, the openai SDK as client
const DIST = path.join(REPO_ROOT, 'dist')
const MODEL = 'stories260K'
const GRACE_MS = 5000 // src/main.ts
const TINY_ANSWER = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'a',
    schema: { type: 'object', properties: { a: { type: 'string', maxLength: 8 } }, required: ['a'] },
  },
}

function tempDir(t: Test, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function start(t: Test, dir: string, dataDir: string, args: string[] = []): Promise<BundleServer> {
  const server = await startBundleServer(dir, dataDir, { args })
  t.teardown(() => server.kill())
  return server
}

/** Resolves with the exit, or null if the process still runs after `ms`. */
function exitWithin(exited: Promise<Exit>, ms: number): Promise<Exit | null> {
  return Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref())])
}

/** Resolves once `done()` holds (checked every 50 ms) or `ms` have passed. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
}

function textOf(message: OpenAI.Beta.Threads.Message | undefined): string | null {
  const part = message?.content[0]
  return part?.type === 'text' ? part.text.value : null
}

/** SIGTERM while a 1500-token chat stream is running: the stream ends, /health does not hang, the process exits 0. */
async function sigtermDuringStream(t: Test, server: BundleServer): Promise<void> {
  const params: OpenAI.ChatCompletionCreateParamsStreaming & { ignore_eos: boolean } = {
    model: MODEL,
    messages: [{ role: 'user', content: 'Tell me a long story' }],
    max_tokens: 1500,
    ignore_eos: true,
    stream: true,
  }
  const stream = await server.client.chat.completions.create(params)
  const chunks = stream[Symbol.asyncIterator]()
  const first = await chunks.next()
  t.equal(first.done, false, 'the stream started')
  const sentAt = Date.now()
  server.child.kill('SIGTERM')
  const reading = (async () => {
    let count = 1
    let finish: string | null = null
    try {
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        count++
        finish = next.value.choices[0]?.finish_reason ?? finish
      }
      return { count, finish, error: null }
    } catch (error) {
      return { count, finish, error: error instanceof Error ? error.message : String(error) }
    }
  })()
  // /health while stopping: refused (listener closed) or answered, never left hanging
  await new Promise((resolve) => setTimeout(resolve, 200))
  const health = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(3000) }).then(
    (res) => `answered ${res.status}`,
    (error: Error) => (error.name === 'TimeoutError' ? 'hung' : `refused (${error.message})`),
  )
  t.not(health, 'hung', `GET /health during shutdown: ${health}`)
  const read = await Promise.race([
    reading,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), GRACE_MS + 3000)),
  ])
  t.ok(read, 'the client stream ended within the grace period (+3 s)')
  if (read) {
    t.ok(
      read.finish === 'length' || read.error !== null,
      `the stream completed (finish_reason length) or was cut: ${JSON.stringify(read)}`,
    )
    t.ok(read.count > 1, 'chunks kept coming after SIGTERM')
  }
  // Everything the server controls (stop accepting, grace, close the queue, engine and store) ends within the grace
  await until(() => /INFO {2}stopped\n/.test(server.stderr()), GRACE_MS + 3000 - (Date.now() - sentAt))
  t.match(
    server.stderr(),
    /INFO {2}stopped\n/,
    `shutdown finished ("stopped") within ${GRACE_MS / 1000 + 3} s of SIGTERM`,
  )
  // Node then waits for V8's background TurboFan compiles of the engine's wasm before the process can end: seconds
  // on a busy machine while the engine is still warming up (a server up for ~10 s exits at once)
  const exit = await exitWithin(server.exited, GRACE_MS + 15_000 - (Date.now() - sentAt))
  t.same(
    exit,
    { code: 0, signal: null },
    `the process exited with code 0 (${((Date.now() - sentAt) / 1000).toFixed(1)} s after SIGTERM)`,
  )
  t.match(server.stderr(), /SIGTERM: stopping \(up to 5 s for requests in flight\)/)
}

if (!fs.existsSync(path.join(DIST, BUNDLE_NAME))) {
  t.fail(
    `${path.join(DIST, BUNDLE_NAME)} is missing: run \`npm run build\` first (\`npm test\` builds before it tests)`,
  )
} else {
  t.test('a copy of dist/ without node_modules', async (t) => {
    const dir = tempDir(t, 'oxillama-bundle-copy-')
    fs.cpSync(DIST, dir, { recursive: true })

    t.test('exits 2 at once without --model and says what to pass', async (t) => {
      const startedAt = Date.now()
      const proc = spawnBundle(dir, ['--port', '0'], dir)
      const exit = await exitWithin(proc.exited, 15_000)
      t.same(exit, { code: 2, signal: null })
      t.ok(Date.now() - startedAt < 15_000, 'quickly')
      t.match(proc.stderr(), /no model given/)
      t.match(proc.stderr(), /--model path\/to\/model\.gguf/)
      t.match(proc.stderr(), /--hf-repo owner\/name --hf-file model\.gguf/)
      t.equal(proc.stdout(), '')
    })

    t.test('exits 1 when the model file cannot load, naming the file and why', async (t) => {
      const dataDir = tempDir(t, 'oxillama-data-')
      const bad = path.join(dataDir, 'not-a-model.gguf')
      fs.writeFileSync(bad, 'not a GGUF file at all')
      const proc = spawnBundle(dir, ['--model', bad, '--port', '0', '--data-dir', dataDir], dataDir)
      t.teardown(() => {
        proc.child.kill('SIGKILL')
      })
      t.same(await exitWithin(proc.exited, 30_000), { code: 1, signal: null })
      t.match(proc.stderr(), /^oxillama-server: Cannot load model file '.*not-a-model\.gguf': it is not a GGUF file/m)
      t.equal(proc.stdout(), '', 'no ready line')
    })

    t.test('SIGINT while the model loads stops the load and exits 0 without an error', async (t) => {
      const dataDir = tempDir(t, 'oxillama-data-')
      const proc = spawnBundle(dir, bundleArgs(dataDir), dataDir)
      t.teardown(() => {
        proc.child.kill('SIGKILL')
      })
      await until(
        () => /listening on http:\/\/127\.0\.0\.1:\d+ \(transport node\); loading the model/.test(proc.stderr()),
        60_000,
      )
      proc.child.kill('SIGINT')
      const exit = await exitWithin(proc.exited, 20_000)
      t.same(exit, { code: 0, signal: null }, 'exit code 0')
      t.equal(proc.stdout(), '', 'no ready line: the load was stopped')
      t.match(proc.stderr(), /SIGINT: stopping/)
      t.match(proc.stderr(), /INFO {2}stopped\n/)
      t.notMatch(proc.stderr(), /ERROR|store: it is closed/, 'no error about the load or the store')
    })

    t.test('falls back to node:http with one line saying why, and serves a chat completion', async (t) => {
      const server = await start(t, dir, tempDir(t, 'oxillama-data-'))
      t.match(server.readyLine, /, transport node, 1 threads, /)
      t.match(server.readyLine, new RegExp(`: model ${MODEL}, engine (simd|relaxed|main|compat) build \\(`))
      const lines = server
        .stderr()
        .split('\n')
        .filter((line) => /uWebSockets|uwebsockets/i.test(line))
      t.equal(lines.length, 1, 'one line about uWebSockets.js')
      t.match(lines[0], /WARN .*uWebSockets\.js is not available \(.*Cannot find module.*\); serving with node:http$/)
      t.equal(server.stdout().split('\n').filter(Boolean).length, 1, 'stdout holds only the ready line')
      const completion = await server.client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'Hello' }],
        max_tokens: 12,
      })
      t.equal(completion.object, 'chat.completion')
      t.equal(completion.choices[0]?.finish_reason, 'length')
      t.equal(completion.usage?.completion_tokens, 12)
      t.type(completion.choices[0]?.message.content, 'string')

      t.test('SIGTERM during a chat stream (node transport)', (t) => sigtermDuringStream(t, server))
    })
  })

  t.test('dist/ in place serves with uWebSockets.js from the repo node_modules', async (t) => {
    const server = await start(t, DIST, tempDir(t, 'oxillama-data-'))
    t.match(server.readyLine, /, transport uws, 1 threads, /)
    t.notMatch(server.stderr(), /uWebSockets\.js is not available/)
    const models = await server.client.models.list()
    t.same(
      models.data.map((m) => m.id),
      [MODEL],
    )

    t.test('SIGTERM during a chat stream (uws transport)', (t) => sigtermDuringStream(t, server))
  })

  t.test(
    'Assistants data survives kill -9; after the restart the run it cut short is failed and the queued one runs',
    async (t) => {
      const dataDir = tempDir(t, 'oxillama-data-')
      const first = await start(t, DIST, dataDir, ['--parallel', '1']) // one run at a time: a second one stays queued
      const { client } = first
      const assistant = await client.beta.assistants.create({
        model: MODEL,
        name: 'Teller',
        instructions: 'You tell stories.',
        metadata: { k: 'v' },
      })
      const thread = await client.beta.threads.create({ metadata: { topic: 'durability' } })
      const messages: OpenAI.Beta.Threads.Message[] = []
      for (let i = 0; i < 20; i++)
        messages.push(await client.beta.threads.messages.create(thread.id, { role: 'user', content: `message ${i}` }))
      const done = await client.beta.threads.runs.createAndPoll(
        thread.id,
        { assistant_id: assistant.id, response_format: TINY_ANSWER },
        { pollIntervalMs: 100 },
      )
      t.equal(done.status, 'completed', 'the short run completed before the kill')
      const answer = (await client.beta.threads.messages.list(thread.id, { run_id: done.id })).data[0]
      t.equal(answer?.status, 'completed')

      // A long run (stories260K never ends a chat turn), killed while it streams text into its message
      const long = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Tell me a long story' }] })
      const events = await client.beta.threads.runs.create(long.id, {
        assistant_id: assistant.id,
        response_format: 'auto',
        max_completion_tokens: 1800,
        stream: true,
      })
      let runId = ''
      let messageId = ''
      let streamed = ''
      let firstDeltaAt = 0
      let last = ''
      for await (const event of events) {
        last = event.event
        if (event.event === 'thread.run.created') runId = event.data.id
        if (event.event === 'thread.message.created') messageId = event.data.id
        if (event.event === 'thread.message.delta') {
          const part = event.data.delta.content?.[0]
          streamed += part?.type === 'text' ? (part.text?.value ?? '') : ''
          firstDeltaAt ||= Date.now()
          if (Date.now() - firstDeltaAt > 600) break // past the writer's 250 ms flush: part of the text is stored
        }
        if (/^thread\.run\.(completed|incomplete|failed|cancelled|expired)$/.test(event.event)) break
      }
      t.equal(last, 'thread.message.delta', 'the long run was still streaming text when killed')
      const waiting = await client.beta.threads.createAndRun({
        assistant_id: assistant.id,
        response_format: TINY_ANSWER,
        thread: { messages: [{ role: 'user', content: 'Hi' }] },
      })
      t.equal(waiting.status, 'queued', 'a second run waits behind it')
      const killed = await first.kill()
      t.same(killed, { code: null, signal: 'SIGKILL' })

      const second = await start(t, DIST, dataDir)
      const again = second.client.beta
      t.same(await again.assistants.retrieve(assistant.id), assistant, 'the assistant')
      t.same(await again.threads.retrieve(thread.id), thread, 'the thread')
      const listed = await again.threads.messages.list(thread.id, { order: 'asc', limit: 100 })
      t.same(listed.data.slice(0, 20), messages, 'all 20 messages, in order')
      t.same(listed.data.slice(20), [answer], "then the completed run's answer")
      const doneAfter = await again.threads.runs.retrieve(done.id, { thread_id: thread.id })
      t.same(doneAfter, done, 'the completed run')
      t.type(JSON.parse(textOf(answer) ?? 'null')?.a, 'string', 'its answer is the JSON asked for')

      const cut = await again.threads.runs.retrieve(runId, { thread_id: long.id })
      t.equal(cut.status, 'failed', 'the in-progress run is failed')
      t.equal(cut.last_error?.code, 'server_error')
      t.type(cut.failed_at, 'number')
      const partial = await again.threads.messages.retrieve(messageId, { thread_id: long.id })
      t.equal(partial.status, 'incomplete', 'its partial message is incomplete')
      t.equal(partial.incomplete_details?.reason, 'run_failed')
      const stored = textOf(partial) ?? ''
      t.ok(
        stored.length > 0 && streamed.startsWith(stored),
        `the stored text (${stored.length} chars) is a prefix of what was streamed (${streamed.length})`,
      )
      const steps = await again.threads.runs.steps.list(runId, { thread_id: long.id })
      t.same(
        steps.data.map((s) => s.status),
        ['failed'],
        'its message_creation step is failed',
      )
      t.match(second.stderr(), /Runs after restart: 1 queued again, 1 failed/)

      let requeued = await again.threads.runs.retrieve(waiting.id, { thread_id: waiting.thread_id })
      for (
        const deadline = Date.now() + 30_000;
        ['queued', 'in_progress'].includes(requeued.status) && Date.now() < deadline;
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        requeued = await again.threads.runs.retrieve(waiting.id, { thread_id: waiting.thread_id })
      }
      t.equal(requeued.status, 'completed', 'the queued run ran again after the restart')
      const reply = (await again.threads.messages.list(waiting.thread_id, { run_id: waiting.id })).data[0]
      t.type(JSON.parse(textOf(reply) ?? 'null')?.a, 'string', 'and answered')
    },
  )
}
