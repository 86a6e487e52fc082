import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { REPO_ROOT } from './paths.js'
import { bundleArgs } from './bundle-server.js'
import {
  environOf,
  exampleApp,
  exampleEnv,
  exerciseServer,
  runtimeBinary,
  scriptCommand,
  startMatrixServer,
  tempDir,
  type MatrixRuntime,
} from './runtime-matrix.js'

const BUNDLE = path.join(REPO_ROOT, 'dist', 'oxillama-server.cjs')
// The transports each runtime's CLI may name: Node keeps uWS (where its binary loads) then node:http
const CLI_TRANSPORTS: Record<MatrixRuntime, RegExp> = {
  node20: /, transport (uws|node), /,
  node22: /, transport (uws|node), /,
  node24: /, transport (uws|node), /,
  deno: /, transport deno, /,
  bun: /, transport bun, /,
}
const EXAMPLES: Record<MatrixRuntime, string> = {
  node20: 'node.mjs',
  node22: 'node.mjs',
  node24: 'node.mjs',
  deno: 'deno.ts',
  bun: 'bun.ts',
}

/** The cross-runtime suite for one runtime: the CLI bundle as a process, then the README's example for it. */
export async function runtimeSuite(t: Test, runtime: MatrixRuntime): Promise<void> {
  const bin = await runtimeBinary(runtime)

  await t.test(`${runtime}: the CLI bundle serves on this runtime's server`, async (t) => {
    const dataDir = tempDir(t, 'oxillama-data-')
    const server = await startMatrixServer(t, scriptCommand(runtime, bin, BUNDLE, bundleArgs(dataDir)), {
      cwd: dataDir,
      env: { MALLOC_MMAP_THRESHOLD_: '262144' },
    })
    t.match(server.readyLine, CLI_TRANSPORTS[runtime], 'the ready line names the transport')
    if (process.platform === 'linux' && runtime.startsWith('node')) {
      // src/malloc-env.ts: Node 22/24 replace their own image (same pid) to add glibc's malloc settings; Node 20 cannot
      const env = environOf(server.child.pid as number)
      t.equal(env.get('MALLOC_ARENA_MAX'), runtime === 'node20' ? undefined : '2', 'the CLI set its malloc settings')
      t.equal(env.get('MALLOC_MMAP_THRESHOLD_'), '262144', 'a value the user set wins')
    }
    await exerciseServer(t, server)
  })

  await t.test(`${runtime}: examples/${EXAMPLES[runtime]} as written, through createServer()`, async (t) => {
    const app = exampleApp(t)
    if (runtime === 'deno') {
      // the package's `types` (dist/oxillama-server.d.mts) type the example: options, ox.fetch for Deno.serve
      const checked = await promisify(execFile)(bin, ['check', EXAMPLES[runtime]], {
        cwd: app,
        env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
      })
      t.match(
        checked.stderr.replace(/\x1b\[[0-9;]*m/g, ''),
        /^Check .*deno\.ts$/m,
        `deno check ${EXAMPLES[runtime]} passes against the package's types`,
      )
    }
    const server = await startMatrixServer(t, scriptCommand(runtime, bin, EXAMPLES[runtime]), {
      cwd: app,
      env: exampleEnv(path.join(app, 'data')),
    })
    await exerciseServer(t, server)
  })
}
