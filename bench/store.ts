// Store benchmark: PGlite startup (cold: initdb + migrations, warm: reopen), process RSS with and without an
// open store, message create rate, and message-list latency on a 1000-message thread.
// usage: npx tsx bench/store.ts [--reps 5] [--messages 1000] [--lists 200]
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'

const run = promisify(execFile)
const SELF = fileURLToPath(import.meta.url)

type ChildReport = { openMs: number | null; rssMb: number }

/** Child mode: optionally open the store in `dir`, then report open time and settled RSS. */
async function child(mode: string, dir: string | undefined): Promise<void> {
  let openMs: number | null = null
  let close = async (): Promise<void> => undefined
  if (mode === 'open' && dir !== undefined) {
    const { openPgliteStore } = await import('../src/store/pglite.js') // not loaded at all in 'bare' mode
    const started = performance.now()
    const store = await openPgliteStore(dir)
    openMs = performance.now() - started
    close = () => store.close()
  }
  globalThis.gc?.()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const report: ChildReport = { openMs, rssMb: process.memoryUsage().rss / 2 ** 20 }
  await close()
  process.stdout.write(`${JSON.stringify(report)}\n`)
}

async function spawnChild(mode: 'open' | 'bare', dir?: string): Promise<ChildReport> {
  const args = ['--expose-gc', '--import', 'tsx', SELF, '--child', mode, ...(dir === undefined ? [] : [dir])]
  const { stdout } = await run(process.execPath, args, { cwd: path.dirname(SELF) })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      reps: { type: 'string', default: '5' },
      messages: { type: 'string', default: '1000' },
      lists: { type: 'string', default: '200' },
    },
    allowPositionals: true,
    strict: false,
  })
  if (typeof values.child === 'string') return child(values.child, process.argv.at(-1))
  const reps = Number(values.reps)
  const messageCount = Number(values.messages)
  const listCount = Number(values.lists)
  const root = await mkdtemp(path.join(tmpdir(), 'oxillama-bench-store-'))
  try {
    const cold: number[] = []
    for (let i = 0; i < reps; i++)
      cold.push((await spawnChild('open', path.join(root, `cold-${i}`))).openMs ?? Number.NaN)
    const warmDir = path.join(root, 'cold-0')
    const warm: ChildReport[] = []
    for (let i = 0; i < reps; i++) warm.push(await spawnChild('open', warmDir))
    const bare: ChildReport[] = []
    for (let i = 0; i < reps; i++) bare.push(await spawnChild('bare'))

    const { openPgliteStore } = await import('../src/store/pglite.js')
    const store = await openPgliteStore(path.join(root, 'work'))
    const thread = await store.threads.create()
    const createStart = performance.now()
    for (let i = 0; i < messageCount; i++) {
      await store.messages.create(thread.id, {
        role: i % 2 === 0 ? 'user' : 'assistant',
        content: `message ${i}: ${'lorem ipsum '.repeat(8)}`,
      })
    }
    const createSeconds = (performance.now() - createStart) / 1000
    const ids = (await store.messages.list(thread.id, { limit: 100 })).data.map((m) => m.id)
    const first: number[] = []
    const cursor: number[] = []
    for (let i = 0; i < listCount; i++) {
      let started = performance.now()
      await store.messages.list(thread.id, { limit: 20 })
      first.push(performance.now() - started)
      started = performance.now()
      await store.messages.list(thread.id, {
        limit: 20,
        order: i % 2 === 0 ? 'asc' : 'desc',
        after: ids[i % ids.length] as string,
      })
      cursor.push(performance.now() - started)
    }
    await store.close()

    const rssOpen = quantile(
      warm.map((r) => r.rssMb),
      0.5,
    )
    const rssBare = quantile(
      bare.map((r) => r.rssMb),
      0.5,
    )
    const rows: Array<[string, string]> = [
      [`startup cold (initdb + migrate), median of ${reps}`, `${quantile(cold, 0.5).toFixed(0)} ms`],
      [
        `startup warm (reopen), median of ${reps}`,
        `${quantile(
          warm.map((r) => r.openMs ?? Number.NaN),
          0.5,
        ).toFixed(0)} ms`,
      ],
      ['RSS, node + tsx, PGlite not loaded (median)', `${rssBare.toFixed(0)} MiB`],
      ['RSS, node + tsx, store open (median)', `${rssOpen.toFixed(0)} MiB (+${(rssOpen - rssBare).toFixed(0)} MiB)`],
      [`messages.create, sequential, ${messageCount} messages`, `${(messageCount / createSeconds).toFixed(0)} /s`],
      [
        `messages.list limit 20, first page, ${listCount} calls`,
        `p50 ${quantile(first, 0.5).toFixed(2)} ms, p95 ${quantile(first, 0.95).toFixed(2)} ms`,
      ],
      [
        `messages.list limit 20, after a cursor, ${listCount} calls`,
        `p50 ${quantile(cursor, 0.5).toFixed(2)} ms, p95 ${quantile(cursor, 0.95).toFixed(2)} ms`,
      ],
    ]
    console.log(`| store (PGlite, ${messageCount}-message thread) | result |\n|---|---|`)
    for (const [name, value] of rows) console.log(`| ${name} | ${value} |`)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
