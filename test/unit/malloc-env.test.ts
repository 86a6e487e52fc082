// The CLI's malloc settings (src/malloc-env.ts): when it re-executes itself, with what, and that npm start's launcher
// (scripts/start.mjs, for Node 20, which has no process.execve) passes the same values.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { canExec, MALLOC_ENV, mallocReexecEnv, reexecWithMallocEnv } from '../../src/malloc-env.js'
// @ts-expect-error: a plain .mjs script without types
import { MALLOC_ENV as LAUNCHER_ENV } from '../../scripts/start.mjs'

const glibc = { getReport: () => ({ header: { glibcVersionRuntime: '2.36' } }) }
const musl = { getReport: () => ({ header: {} }) }

function fakeProcess(overrides: Record<string, unknown> = {}) {
  const calls: unknown[][] = []
  const proc = {
    env: { PATH: '/bin' } as Record<string, string | undefined>,
    execPath: '/usr/bin/node',
    execArgv: ['--max-old-space-size=512'],
    argv: ['/usr/bin/node', '/app/dist/oxillama-server.cjs', '--model', 'm.gguf'],
    platform: 'linux' as NodeJS.Platform,
    versions: { node: '24.0.0' } as NodeJS.ProcessVersions,
    report: glibc,
    execve: (...args: unknown[]) => {
      calls.push(args)
      return undefined as never
    },
    ...overrides,
  }
  return { proc, calls }
}

t.test('launcher and CLI use the same values', async (t) => {
  t.same(LAUNCHER_ENV, MALLOC_ENV)
})

t.test('on glibc with process.execve the CLI replaces its image with the settings added, same arguments', async (t) => {
  const { proc, calls } = fakeProcess()
  reexecWithMallocEnv(proc, () => true)
  t.same(calls, [
    [
      '/usr/bin/node',
      ['/usr/bin/node', '--max-old-space-size=512', '/app/dist/oxillama-server.cjs', '--model', 'm.gguf'],
      { ...MALLOC_ENV, PATH: '/bin' },
    ],
  ])
})

t.test('a value the user set wins; with both set there is nothing to do (no loop after the exec)', async (t) => {
  const one = fakeProcess({ env: { MALLOC_ARENA_MAX: '8' } })
  t.same(mallocReexecEnv(one.proc), {
    MALLOC_ARENA_MAX: '8',
    MALLOC_MMAP_THRESHOLD_: MALLOC_ENV.MALLOC_MMAP_THRESHOLD_,
  })
  const both = fakeProcess({ env: { ...MALLOC_ENV } })
  reexecWithMallocEnv(both.proc, () => true)
  t.same(both.calls, [])
})

t.test('no exec where it cannot help or cannot be done', async (t) => {
  const cases: Record<string, Record<string, unknown>> = {
    'Node 20 (no process.execve)': { execve: undefined },
    'musl or another C library': { report: musl },
    'not Linux': { platform: 'darwin' },
    Bun: { versions: { node: '24.0.0', bun: '1.2.0' } },
    Deno: { versions: { node: '24.0.0', deno: '2.0.0' } },
  }
  for (const [name, overrides] of Object.entries(cases)) {
    const { proc, calls } = fakeProcess(overrides)
    reexecWithMallocEnv(proc, () => true)
    t.same(calls, [], name)
  }
})

t.test('a failed exec leaves the process running as it is', async (t) => {
  const { proc } = fakeProcess({
    execve: () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' })
    },
  })
  t.doesNotThrow(() => reexecWithMallocEnv(proc, () => true))
})

t.test(
  'no exec where the kernel cannot run the binary (Node aborts on a failed execve instead of throwing)',
  async (t) => {
    const { proc, calls } = fakeProcess()
    const probed: string[] = []
    reexecWithMallocEnv(proc, (file) => {
      probed.push(file)
      return false
    })
    t.same(probed, ['/usr/bin/node'], 'the exec is tried in a child first')
    t.same(calls, [], 'and skipped when that fails')
  },
)

t.test('canExec runs the binary: this Node yes, a file that is not a program no', async (t) => {
  t.equal(canExec(process.execPath), true)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oxillama-canexec-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const text = path.join(dir, 'not-a-program')
  fs.writeFileSync(text, 'plain text\n', { mode: 0o755 })
  t.equal(canExec(text), false, 'a text file')
  t.equal(canExec(path.join(dir, 'missing')), false, 'ENOENT')
})
