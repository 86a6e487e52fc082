// Child process for the durability test: opens the store in argv[2], creates a thread and then
// argv[3] messages, printing each id on its own line only after its create was acknowledged.
import { openPgliteStore } from '../../src/store/pglite.js'

const [dir, countArg] = process.argv.slice(2)
if (dir === undefined) {
  process.stderr.write('usage: store-writer.ts <dataDir> [count]\n')
} else {
  const store = await openPgliteStore(dir)
  const thread = await store.threads.create({ metadata: { writer: String(process.pid) } })
  process.stdout.write(`thread ${thread.id}\n`)
  for (let i = 0; i < Number(countArg ?? 50); i++) {
    const message = await store.messages.create(thread.id, { role: 'user', content: `message ${i}` })
    process.stdout.write(`msg ${message.id}\n`)
  }
  process.stdout.write('done\n')
  // Never closes: the parent kills this process, a clean close must not be what saves the data
  setInterval(() => undefined, 60_000)
}
