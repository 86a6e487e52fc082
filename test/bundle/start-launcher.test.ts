// `npm start` (scripts/start.mjs) runs the bundle with glibc's malloc settings, which must be in the environment
// before the server process starts: without them the compiler memory of the engine's first requests stays resident.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { bundleArgs } from '../helpers/bundle-server.js'
import { REPO_ROOT } from '../helpers/paths.js'
import { environOf, startMatrixServer, tempDir } from '../helpers/runtime-matrix.js'

t.test('npm start gives the server its malloc settings; a value the user set wins', async (t) => {
  if (process.platform !== 'linux') return t.pass('reads /proc')
  const dataDir = tempDir(t, 'oxillama-start-')
  const server = await startMatrixServer(
    t,
    [process.execPath, path.join('scripts', 'start.mjs'), ...bundleArgs(dataDir)],
    {
      cwd: REPO_ROOT,
      env: { MALLOC_ARENA_MAX: '4' },
      group: true,
    },
  )
  const launcher = server.child.pid as number
  const children = fs.readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/)
  t.equal(children.length, 1, 'the launcher runs one server process')
  const env = environOf(Number(children[0]))
  t.equal(env.get('MALLOC_MMAP_THRESHOLD_'), '131072')
  t.equal(env.get('MALLOC_ARENA_MAX'), '4', "the user's own value")
  const reply = await server.client.chat.completions.create({
    model: 'stories260K',
    messages: [{ role: 'user', content: 'Hi' }],
    max_tokens: 4,
  })
  t.ok(reply.choices[0]?.message.content, 'and it serves')
  process.kill(launcher, 'SIGTERM') // the launcher forwards it, as a process manager would send it
  t.same(await server.exited, { code: 0, signal: null }, 'SIGTERM to the launcher ends both')
})
