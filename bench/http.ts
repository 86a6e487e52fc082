// Request rate of the cheap routes: requests/s and p50/p99 latency of GET /v1/models, GET /health and a run retrieve
// (GET /v1/threads/:thread_id/runs/:run_id of an ended run on stories260K) on uWS and on node:http, measured with wrk
// (native: a JS load generator on 2 cores measures itself). The server runs in its own process at its default log
// level (the access log on, written to a file); wrk gets one thread, which leaves the single-threaded server a core.
// Each cell is the median of --reps runs of --duration seconds after a warm-up. Run it alone on the machine; on a
// shared one, the server's CPU time per request (from /proc, all its threads) still compares builds fairly.
// usage: npm run build && npx tsx bench/http.ts [--duration 5] [--reps 3] [--connections 32] [--pin]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import OpenAI from 'openai'
import { modelPath } from '../test/helpers/paths.js'
import { startBenchServer } from './server-process.js'
import { runWrk, type WrkResult } from './wrk.js'
import { median } from './stats.js'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '2' },
    // server on CPU 0, wrk on CPU 1
    pin: { type: 'boolean', default: false },
  },
})
const wrk = { threads: Number(values.threads), connections: Number(values.connections) }
const TRANSPORTS = ['uws', 'node'] as const
const TICKS_PER_S = 100 // USER_HZ, 100 on every Linux build that matters

type Cell = { rps: number; p50: number; p99: number; errors: number; cpuUs: number | null }

/** CPU seconds a process has used (user + system, every thread), or null off Linux. */
function cpuSeconds(pid: number): number | null {
  try {
    // fields after the ')' that ends the command name: utime and stime are the 12th and 13th
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S
  } catch {
    return null
  }
}

/** Creates an assistant, a thread and a run, and waits until the run has ended; returns the run's path. */
async function endedRunPath(url: string): Promise<string> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 })
  const assistant = await client.beta.assistants.create({ model: 'bench', instructions: 'You tell short stories.' })
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Tell me a story.' }] })
  const run = await client.beta.threads.runs.createAndPoll(
    thread.id,
    { assistant_id: assistant.id, max_completion_tokens: 256, temperature: 0 },
    { pollIntervalMs: 50 },
  )
  if (run.status !== 'completed' && run.status !== 'incomplete') throw new Error(`The bench run ended ${run.status}`)
  return `/v1/threads/${thread.id}/runs/${run.id}`
}

async function measure(transport: (typeof TRANSPORTS)[number]): Promise<Map<string, Cell>> {
  const args = ['--model', modelPath('stories260K.gguf'), '--chat-template', 'chatml', '--alias', 'bench']
  const server = await startBenchServer([...args, '--transport', transport, '--threads', '1'], {
    logLevel: 'default',
    ...(values.pin ? { wrapper: ['taskset', '-c', '0'] } : {}),
  })
  const load = values.pin ? { ...wrk, wrapper: ['taskset', '-c', '1'] } : wrk
  try {
    const routes = [
      { name: 'GET /v1/models', path: '/v1/models' },
      { name: 'GET /health', path: '/health' },
      { name: 'GET run (retrieve)', path: await endedRunPath(server.url) },
    ]
    const pid = server.child.pid ?? 0
    const out = new Map<string, Cell>()
    for (const route of routes) {
      const target = `${server.url}${route.path}`
      await runWrk(target, { ...load, durationS: Number(values.warmup) }) // JIT and connection set-up
      const reps: (WrkResult & { cpuUs: number | null })[] = []
      for (let i = 0; i < Number(values.reps); i++) {
        const before = cpuSeconds(pid)
        const result = await runWrk(target, { ...load, durationS: Number(values.duration) })
        const after = cpuSeconds(pid)
        const cpuUs = before === null || after === null ? null : ((after - before) * 1e6) / result.requests
        reps.push({ ...result, cpuUs })
      }
      const cpu = reps.map((r) => r.cpuUs).filter((us): us is number => us !== null)
      out.set(route.name, {
        rps: median(reps.map((r) => r.rps)),
        p50: median(reps.map((r) => r.p50)),
        p99: median(reps.map((r) => r.p99)),
        errors: reps.reduce((sum, r) => sum + r.errors, 0),
        cpuUs: cpu.length > 0 ? median(cpu) : null,
      })
    }
    return out
  } finally {
    await server.stop()
  }
}

const results = new Map<string, Map<string, Cell>>()
for (const transport of TRANSPORTS) results.set(transport, await measure(transport))

console.log(
  `wrk -t${wrk.threads} -c${wrk.connections} -d${values.duration}s, median of ${values.reps} after a ${values.warmup} s ` +
    `warm-up; server at its default log level (access log on)${values.pin ? '; server on CPU 0, wrk on CPU 1' : ''}\n`,
)
console.log('| route | transport | requests/s | p50 ms | p99 ms | server CPU µs/request | errors |')
console.log('|---|---|---:|---:|---:|---:|---:|')
for (const route of results.get('uws')?.keys() ?? []) {
  for (const transport of TRANSPORTS) {
    const r = results.get(transport)?.get(route)
    if (!r) continue
    const name = transport === 'uws' ? 'uWebSockets.js' : 'node:http'
    const cpu = r.cpuUs === null ? 'n/a' : r.cpuUs.toFixed(1)
    console.log(
      `| ${route} | ${name} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${cpu} | ${r.errors} |`,
    )
  }
}
