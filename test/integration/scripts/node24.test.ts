import t from 'tap'
import { execFile } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { NODE24_ENV, ensureNode24 } from '../../../scripts/node24.js'

const run = promisify(execFile)

t.test('ensureNode24() returns a Node 24 binary with JSPI and memory64', async (t) => {
  const bin = await ensureNode24()
  t.match((await run(bin, ['--version'])).stdout, /^v24\./)
  const probe = "new WebAssembly.Memory({ address: 'i64', initial: 1n }); console.log(typeof WebAssembly.Suspending)"
  t.equal((await run(bin, ['-e', probe])).stdout.trim(), 'function')
  t.equal(await ensureNode24(), bin, 'a second call finds the same binary')
})

t.test(`ensureNode24() rejects a $${NODE24_ENV} that is not Node 24`, async (t) => {
  const saved = process.env[NODE24_ENV]
  t.teardown(() => {
    if (saved === undefined) delete process.env[NODE24_ENV]
    else process.env[NODE24_ENV] = saved
  })
  const dir = await mkdtemp(join(tmpdir(), 'node24-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const old = join(dir, 'node')
  await writeFile(old, '#!/bin/sh\necho v22.11.0\n')
  await chmod(old, 0o755)
  process.env[NODE24_ENV] = old
  await t.rejects(ensureNode24(), { message: /is Node v22\.11\.0, not 24\+/ })
  process.env[NODE24_ENV] = '/nonexistent/node'
  await t.rejects(ensureNode24(), { message: /Cannot run Node 24 at \$OXILLAMA_NODE24/ })
})
