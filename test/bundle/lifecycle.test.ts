import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { BUNDLE_NAME, bundleEnv, spawnBundle, startBundleServer, type Exit } from '../helpers/bundle-server.js'
import { freshDataDir } from '../helpers/data-dir.js'
import { modelPath, REPO_ROOT } from '../helpers/paths.js'

// Stop, listen and restart behaviour of the bundled server as a real process
const DIST = path.join(REPO_ROOT, 'dist')
const GRACE_MS = 5000 // src/main.ts
const BOUND_MS = GRACE_MS + 2000 // the promise: every stop ends within grace + 2 s
const LISTENING = /listening on (http:\/\/\S+) \(transport (\w+)\)/
const SERVER_ARGS = ['--model', modelPath('stories260K.gguf'), '--chat-template', 'chatml', '--threads', '1']

async function dataDir(t: Test): Promise<string> {
  const dir = await freshDataDir('oxillama-lifecycle-')
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Resolves with the exit, or null if the process still runs after `ms`. */
function exitWithin(exited: Promise<Exit>, ms: number): Promise<Exit | null> {
  return Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref())])
}

/** Resolves once `done()` holds (checked every 25 ms); rejects after `ms`. */
async function until(what: string, done: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Sends `signal` and measures how long the process takes to end. */
async function stopAndMeasure(
  child: { kill(signal: NodeJS.Signals): boolean },
  exited: Promise<Exit>,
  signal: NodeJS.Signals,
): Promise<{ exit: Exit | null; ms: number }> {
  const sentAt = Date.now()
  child.kill(signal)
  const exit = await exitWithin(exited, BOUND_MS + 20_000) // wait past the bound to report how far over it was
  return { exit, ms: Date.now() - sentAt }
}

if (!fs.existsSync(path.join(DIST, BUNDLE_NAME))) {
  t.fail(`${path.join(DIST, BUNDLE_NAME)} is missing: run \`npm run build\` first`)
} else {
  t.test('SIGTERM one second after /health turns ok: exit code 0 within grace + 2 s', async (t) => {
    const server = await startBundleServer(DIST, await dataDir(t))
    t.teardown(() => server.kill())
    const health = await fetch(`${server.url}/health`)
    t.equal(health.status, 200, '/health is ok')
    await new Promise((resolve) => setTimeout(resolve, 1000)) // the scenario: V8 is still tiering the engine's wasm up
    const { exit, ms } = await stopAndMeasure(server.child, server.exited, 'SIGTERM')
    t.same(exit, { code: 0, signal: null }, 'exit code 0')
    t.ok(ms <= BOUND_MS, `exited ${ms} ms after SIGTERM (bound ${BOUND_MS} ms)`)
    t.match(server.stderr(), /INFO {2}stopped\n/)
  })

  t.test('SIGTERM while the model loads: exit code 0 within grace + 2 s, no ready line', async (t) => {
    const dir = await dataDir(t)
    const proc = spawnBundle(DIST, [...SERVER_ARGS, '--port', '0', '--data-dir', dir], dir)
    t.teardown(() => {
      proc.child.kill('SIGKILL')
    })
    await until('the listening line', () => LISTENING.test(proc.stderr()))
    const { exit, ms } = await stopAndMeasure(proc.child, proc.exited, 'SIGTERM')
    t.same(exit, { code: 0, signal: null }, 'exit code 0')
    t.ok(ms <= BOUND_MS, `exited ${ms} ms after SIGTERM (bound ${BOUND_MS} ms)`)
    t.equal(proc.stdout(), '', 'no ready line')
  })

  for (const transport of ['uws', 'node'] as const) {
    t.test(`a second server on a port in use exits 1 naming the port (${transport})`, async (t) => {
      const first = await startBundleServer(DIST, await dataDir(t), { args: ['--transport', transport] })
      t.teardown(() => first.kill())
      const port = new URL(first.url).port
      const dir = await dataDir(t)
      const second = spawnBundle(
        DIST,
        [...SERVER_ARGS, '--transport', transport, '--port', port, '--data-dir', dir],
        dir,
      )
      t.teardown(() => {
        second.child.kill('SIGKILL')
      })
      t.same(await exitWithin(second.exited, 30_000), { code: 1, signal: null }, 'exit code 1')
      t.match(
        second.stderr(),
        new RegExp(`^oxillama-server: Cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`, 'm'),
      )
      t.notMatch(second.stderr(), /loading|store/i, 'nothing was loaded')
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${first.url}/v1/models`)
        t.equal(res.status, 200) // every request reaches the first server, whose data dir this is
      }
      t.equal(first.child.exitCode, null, 'the first server still runs')
    })
  }

  t.test('kill -9 then an immediate restart, ten times on a host: the store opens and keeps every write', (t) =>
    crashRestarts(t, (args, cwd) => {
      const proc = spawnBundle(DIST, args, cwd)
      return { ...proc, kill: () => proc.child.kill('SIGKILL') }
    }),
  )

  const unshare = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'])
  t.test(
    'kill -9 then an immediate restart, ten times as PID 1 of a new PID namespace',
    unshare.status === 0
      ? {}
      : {
          skip: `unshare --pid --fork --mount-proc is not available here (needs root or user namespaces): ${String(unshare.error ?? unshare.stderr)}`,
        },
    (t) => crashRestarts(t, spawnAsPid1),
  )
}

type Started = { stderr(): string; exited: Promise<Exit>; kill(): void }

/** Runs the bundle as PID 1 of a fresh PID namespace; kill() SIGKILLs that PID 1 (an OOM kill in a container). */
function spawnAsPid1(args: string[], cwd: string): Started {
  const child = spawn(
    'unshare',
    ['--pid', '--fork', '--mount-proc', process.execPath, path.join(DIST, BUNDLE_NAME), ...args],
    {
      cwd,
      env: bundleEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    err += text
  })
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return {
    stderr: () => err,
    exited,
    kill() {
      // unshare forked node: node is PID 1 inside, and this child of unshare outside
      if (child.exitCode !== null || child.signalCode !== null) return
      const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)
      for (const pid of children) if (pid) process.kill(Number(pid), 'SIGKILL')
    },
  }
}

async function crashRestarts(t: Test, start: (args: string[], cwd: string) => Started): Promise<void> {
  const dir = await dataDir(t)
  const created: string[] = []
  for (let round = 0; round <= 10; round++) {
    const proc = start([...SERVER_ARGS, '--port', '0', '--data-dir', dir], dir)
    t.teardown(() => proc.kill())
    await until(
      `round ${round}: the listening line`,
      () => LISTENING.test(proc.stderr()) || /oxillama-server: /.test(proc.stderr()),
    )
    const url = LISTENING.exec(proc.stderr())?.[1]
    if (!url) {
      t.fail(`round ${round}: the server did not start: ${proc.stderr()}`)
      return
    }
    // The store serves while the model loads; the gate answers 503 until it is open
    let listed: Response | null = null
    await until(`round ${round}: the store`, async () => {
      listed = await fetch(`${url}/v1/threads/${created.at(-1) ?? 'thread_none'}`)
      return listed.status !== 503
    })
    if (created.length > 0) {
      const missing: string[] = []
      for (const id of created) if ((await fetch(`${url}/v1/threads/${id}`)).status !== 200) missing.push(id)
      t.same(
        missing,
        [],
        `round ${round}: the store opened and holds all ${created.length} threads acknowledged before`,
      )
    }
    if (round === 10) break
    const res = await fetch(`${url}/v1/threads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { round: String(round) } }),
    })
    t.equal(res.status, 200, `round ${round}: a thread is created`)
    created.push(((await res.json()) as { id: string }).id)
    proc.kill()
    await proc.exited
  }
}
