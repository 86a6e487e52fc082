import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { ensureNode24 } from '../../../scripts/node24.js'
import { REPO_ROOT } from '../../helpers/paths.js'

const run = promisify(execFile)
const CHILD = 'test/helpers/engine-child.ts'

interface ChildResult {
  build: string
  node: string
  completion: string
  chat: string
  interrupted: string
  pool: number
}

async function runChild(node: string, args: string[], nodeArgs: string[] = []): Promise<ChildResult> {
  // the child must exit by itself after engine.close(): a lingering worker or pthread would hit the timeout
  const { stdout } = await run(node, [...nodeArgs, '--import', 'tsx', CHILD, ...args], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildResult
}

const compat = await runChild(process.execPath, ['compat', '1'])

t.test('compat build on this Node: completion and chat, then shutdown exits the process', async (t) => {
  t.equal(compat.build, 'compat')
  t.match(compat.completion, /^, there was a little girl named Lily/)
  t.ok(compat.chat.length > 0)
  t.equal(compat.interrupted, 'The engine was shut down', 'a stream in flight at shutdown ends with a clear error')
  t.equal(compat.pool, 0, 'one thread: no pthread pool')
})

t.test(
  "auto runs relaxed on this Node (Node 20: with V8's relaxed-SIMD flag turned on): same greedy text as compat",
  async (t) => {
    // stories260K is F32: the SIMD f32 dot sums in another order than the scalar one, yet greedy picks agree
    const relaxed = await runChild(process.execPath, ['auto', '1'])
    t.equal(relaxed.build, 'relaxed', 'auto picks relaxed: the i16x8 relaxed dot is exact')
    t.equal(relaxed.completion, compat.completion)
    t.equal(relaxed.chat, compat.chat)
    t.equal(relaxed.interrupted, 'The engine was shut down')
  },
)

t.test('two and four threads: same greedy text, a pool of threads - 1 pthreads, clean exit', async (t) => {
  // ggml computes on the engine thread plus threads - 1 pool threads: a bigger pool is one idle isolate more
  for (const threads of [2, 4]) {
    const child = await runChild(process.execPath, ['simd', String(threads)])
    t.equal(child.build, 'simd')
    t.equal(child.pool, threads - 1, `${threads} threads: pool of ${threads - 1}`)
    t.equal(child.completion, compat.completion)
    t.equal(child.chat, compat.chat)
  }
  const compat2 = await runChild(process.execPath, ['compat', '2'])
  t.equal(compat2.pool, 1, "wllama's compat build runs with the same pool")
  t.equal(compat2.completion, compat.completion)
})

t.test('main and relaxed builds on Node 24 from npm: same text as compat', async (t) => {
  const node24 = await ensureNode24()
  // stories260K is F32, so this shows the relaxed build loads and runs; simd-parity.test.ts compares its kernels
  const auto = await runChild(node24, ['auto', '1'])
  t.equal(auto.build, 'relaxed', 'auto picks relaxed on Node 24: its relaxed dots are exact, the model fits wasm32')
  t.match(auto.node, /^v24\./)
  t.equal(auto.completion, compat.completion)
  t.equal(auto.chat, compat.chat)
  const main = await runChild(node24, ['main', '1'])
  t.equal(main.build, 'main', '--engine-build main is honoured where JSPI and memory64 exist')
  t.equal(main.completion, compat.completion)
  t.equal(main.chat, compat.chat)
  const simd = await runChild(node24, ['simd', '1'])
  t.equal(simd.build, 'simd', '--engine-build simd is honoured on Node 24')
  t.equal(simd.completion, compat.completion)
  const forced = await runChild(node24, ['compat', '1'])
  t.equal(forced.build, 'compat', '--engine-build compat is honoured on Node 24')
  t.equal(forced.completion, compat.completion)
})

t.test('auto moves a model file too big for wasm32 to the main build on Node 24, and says why', async (t) => {
  const node24 = await ensureNode24()
  // chooseBuildForModel with a check that refuses every wasm32 build as checkModel does for a 2 GiB file
  const script = `
    import { chooseBuildForModel } from './src/engine/host/build-detect.ts'
    const check = async (build) => {
      if (build !== 'main') throw Object.assign(new Error('too big'), { code: 'too_big_for_build' })
      return 'checked for main'
    }
    console.log(JSON.stringify(await chooseBuildForModel('auto', check)))`
  const { stdout } = await run(node24, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT })
  const picked = JSON.parse(stdout) as { choice: { build: string; reason: string }; info: string }
  t.equal(picked.choice.build, 'main')
  t.match(picked.choice.reason, /2 GiB or more: too big for the wasm32 relaxed build, so memory64/)
  t.equal(picked.info, 'checked for main')
})

t.test("Node 20 with the user's own --no-experimental-wasm-relaxed-simd keeps it and runs simd", async (t) => {
  if (!process.versions.node.startsWith('20.')) return t.pass('relaxed SIMD is not behind a flag on this Node')
  for (const requested of ['auto', 'relaxed']) {
    const child = await runChild(process.execPath, [requested, '1'], ['--no-experimental-wasm-relaxed-simd'])
    t.equal(child.build, 'simd', `${requested}: the flag the user set is left alone`)
    t.equal(child.completion, compat.completion)
  }
})

t.test('forcing the main build where the runtime lacks JSPI fails with a clear error', async (t) => {
  if (typeof (WebAssembly as { Suspending?: unknown }).Suspending === 'function') return t.pass('this runtime has JSPI')
  await t.rejects(runChild(process.execPath, ['main', '1']), /Cannot use the main engine build/)
})
