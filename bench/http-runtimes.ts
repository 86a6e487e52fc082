// Request rate per runtime and HTTP server, in one run: the CLI bundle on Node 20 with uWS and with node:http, on
// Deno (Deno.serve through the fetch transport) and on Bun (Bun.serve through the fetch transport); requests/s and
// p50/p99 of GET /v1/models and GET /health with wrk, the method of bench/http.ts (bench/wrk.ts: one wrk thread, 32
// connections, the median of --reps runs after a warm-up, the server at its default log level with the access log
// going to a file). Deno and Bun come from npm (scripts/runtimes.ts). Run it alone on the machine.
// usage: npm run build && npx tsx bench/http-runtimes.ts [--duration 5] [--reps 3] [--connections 32]
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ensureRuntime } from '../scripts/runtimes.js'
import { modelPath, REPO_ROOT } from '../test/helpers/paths.js'
import { runWrk } from './wrk.js'
import { median } from './stats.js'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    reps: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '2' },
  },
})
const wrk = { threads: Number(values.threads), connections: Number(values.connections) }
const BUNDLE = path.join(REPO_ROOT, 'dist', 'oxillama-server.cjs')
const ROUTES = ['/v1/models', '/health']

type Setup = { name: string; command: () => Promise<string[]>; transport: string }
const SETUPS: Setup[] = [
  {
    name: 'Node 20, uWebSockets.js',
    command: async () => [process.execPath, BUNDLE, '--transport', 'uws'],
    transport: 'uws',
  },
  {
    name: 'Node 20, node:http',
    command: async () => [process.execPath, BUNDLE, '--transport', 'node'],
    transport: 'node',
  },
  {
    name: 'Deno, Deno.serve',
    command: async () => [await ensureRuntime('deno'), 'run', '-A', BUNDLE],
    transport: 'deno',
  },
  { name: 'Bun, Bun.serve', command: async () => [await ensureRuntime('bun'), BUNDLE], transport: 'bun' },
]

/** Starts the bundle with `command`, waits for its ready line and checks it serves with the expected transport. */
async function startServer(setup: Setup, dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const [bin = '', ...args] = await setup.command()
  const log = fs.openSync(path.join(dataDir, 'server.log'), 'w')
  const child = spawn(
    bin,
    [...args, '--model', modelPath('stories260K.gguf'), '--threads', '1', '--port', '0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', log], env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } },
  )
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      const match = /ready on (http:\/\/[^\s:]+:\d+): .*, transport (\w+),/.exec(out)
      if (!match?.[1]) return
      if (match[2] !== setup.transport) reject(new Error(`${setup.name} serves with ${match[2]}`))
      resolve(match[1])
    })
    exited.then(() => reject(new Error(`${setup.name}: the server exited before it was ready; see its log`)))
  })
  return {
    url,
    async stop() {
      child.kill('SIGTERM')
      await exited
      fs.closeSync(log)
    },
  }
}

const rows: string[] = []
for (const setup of SETUPS) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oxillama-bench-rt-'))
  const server = await startServer(setup, dataDir)
  try {
    for (const route of ROUTES) {
      const target = `${server.url}${route}`
      await runWrk(target, { ...wrk, durationS: Number(values.warmup) }) // JIT and connection set-up
      const reps = []
      for (let i = 0; i < Number(values.reps); i++)
        reps.push(await runWrk(target, { ...wrk, durationS: Number(values.duration) }))
      const rps = median(reps.map((r) => r.rps))
      const p50 = median(reps.map((r) => r.p50))
      const p99 = median(reps.map((r) => r.p99))
      const errors = reps.reduce((sum, r) => sum + r.errors, 0)
      rows.push(
        `| GET ${route} | ${setup.name} | ${Math.round(rps)} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${errors} |`,
      )
      console.error(rows.at(-1))
    }
  } finally {
    await server.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

console.log(
  `wrk -t${wrk.threads} -c${wrk.connections} -d${values.duration}s, median of ${values.reps} after a ${values.warmup} s ` +
    'warm-up; server at its default log level (access log on, to a file)\n',
)
console.log('| route | runtime, server | requests/s | p50 ms | p99 ms | errors |')
console.log('|---|---|---:|---:|---:|---:|')
// grouped by route, runtimes in the order measured
for (const route of ROUTES) for (const row of rows.filter((r) => r.startsWith(`| GET ${route} |`))) console.log(row)
