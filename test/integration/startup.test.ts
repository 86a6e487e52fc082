// The startup path: the engine starts while the store opens. A store that cannot open must end the engine that
// was started beside it; the store, once open, must be the one the model is served with.
import fs from 'node:fs'
import t from 'tap'
import { createApp } from '../../src/app.js'
import { parseConfig } from '../../src/config.js'
import { raiseWasmTieringBudget } from '../../src/engine/host/wasm-tiering.js'
import { createLogger } from '../../src/http/logger.js'
import { modelPath } from '../helpers/paths.js'
import { freshDataDir } from '../helpers/data-dir.js'

const logger = createLogger({ level: 'error', stream: process.stderr })

function configFor(dataDir: string) {
  const args = ['--model', modelPath('stories260K.gguf'), '--chat-template', 'chatml', '--threads', '1']
  return parseConfig([...args, '--ctx-size', '512', '--parallel', '1', '--data-dir', dataDir], {})
}

/** Threads of this process (a running engine worker is one). */
function threadCount(): number {
  return fs.readdirSync('/proc/self/task').length
}

t.test('a data dir in use fails createApp with the store error and closes the engine started beside it', async (t) => {
  const dataDir = await freshDataDir('oxillama-startup-')
  t.teardown(() => fs.promises.rm(dataDir, { recursive: true, force: true }))
  const first = await createApp({ config: configFor(dataDir), logger, progressStream: null })
  t.teardown(() => first.close())
  await first.ready
  const before = threadCount()
  await t.rejects(createApp({ config: configFor(dataDir), logger, progressStream: null }), { code: 'locked' })
  // the second engine's worker thread ends once its start is aborted; a leak would keep the count up (tap times out)
  while (threadCount() > before) await new Promise((resolve) => setTimeout(resolve, 50))
  t.pass('no thread left over from the aborted engine')
  // the first server is untouched: its model still answers
  const engine = first.deps.model.engine
  t.equal(first.deps.model.state, 'ready')
  t.ok(engine && engine.stats.state === 'ready', 'the first engine still runs')
})

t.test('raiseWasmTieringBudget() leaves a budget the user set with a Node flag alone', async (t) => {
  const saved = process.env.NODE_OPTIONS
  t.teardown(() => {
    if (saved === undefined) delete process.env.NODE_OPTIONS
    else process.env.NODE_OPTIONS = saved
  })
  process.env.NODE_OPTIONS = '--wasm-tiering-budget=5000'
  t.equal(raiseWasmTieringBudget(), false)
  delete process.env.NODE_OPTIONS
  t.equal(raiseWasmTieringBudget(), true, 'raised on Node when nobody set it')
})
