// Startup and footprint benchmark: time to ready, CPU seconds to ready, peak and settled RSS of the bundled server
// per engine build, with a new and an existing data dir. Linux only (reads /proc). Run `npm run build` first.
// usage: npx tsx bench/startup.ts [--builds compat,simd] [--threads 1,2] [--reps 3] [--settle 5]
//        [--model ../shared/models/stories260K.gguf] [--node-args=--wasm-lazy-compilation,...]
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { REPO_ROOT, SHARED_MODELS_DIR } from './paths.js'

/** One start of the server: what it cost to become ready and what it holds afterwards. */
export type StartupSample = { readyMs: number; cpuS: number; peakMib: number; settledMib: number }

const CLOCK_TICKS = 100 // USER_HZ on Linux

/** utime + stime of a process (all its threads: the engine workers and pthreads are threads), in seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** VmHWM (peak) and VmRSS (now) of a process, in MiB. */
async function rss(pid: number): Promise<{ peak: number; now: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  return { peak: kib('VmHWM') / 1024, now: kib('VmRSS') / 1024 }
}

/** Starts the bundle once, waits for its ready line, measures, lets it idle `settleS` seconds, stops it. */
export async function startOnce(options: {
  model: string
  build: string
  threads: number
  dataDir: string
  settleS: number
  nodeArgs?: string[]
}): Promise<StartupSample> {
  const bundle = path.join(REPO_ROOT, 'dist', 'oxillama-server.cjs')
  const args = [bundle, '--model', options.model, '--engine-build', options.build, '--threads', String(options.threads)]
  args.push('--port', '0', '--data-dir', options.dataDir, '--log-level', 'error', '--chat-template', 'chatml')
  const started = performance.now()
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const pid = child.pid as number
  try {
    await new Promise<void>((resolve, reject) => {
      let out = ''
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        out += chunk
        if (/ready on http/.test(out)) resolve()
      })
      child.on('exit', (code) => reject(new Error(`The server exited (${code}) before it was ready`)))
    })
    const readyMs = performance.now() - started
    const cpuS = await cpuSeconds(pid)
    await new Promise((r) => setTimeout(r, options.settleS * 1000))
    const { peak, now } = await rss(pid)
    return { readyMs, cpuS, peakMib: peak, settledMib: now }
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1] ?? 0
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      builds: { type: 'string', default: 'compat,simd' },
      threads: { type: 'string', default: '1,2' },
      reps: { type: 'string', default: '3' },
      settle: { type: 'string', default: '5' },
      model: { type: 'string', default: path.join(SHARED_MODELS_DIR, 'stories260K.gguf') },
      'node-args': { type: 'string', default: '' },
    },
  })
  const lines = [
    '| build | threads | data dir | ready s | CPU s to ready | peak RSS MiB | settled RSS MiB |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
  ]
  for (const build of values.builds.split(',')) {
    for (const threads of values.threads.split(',').map(Number)) {
      const fresh: StartupSample[] = []
      const existing: StartupSample[] = []
      for (let r = 0; r < Number(values.reps); r++) {
        const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-startup-'))
        try {
          const nodeArgs = values['node-args'].split(',').filter(Boolean)
          const common = { model: values.model, build, threads, dataDir, settleS: Number(values.settle), nodeArgs }
          fresh.push(await startOnce(common)) // creates the store
          existing.push(await startOnce(common)) // reopens it
        } finally {
          await fs.rm(dataDir, { recursive: true, force: true })
        }
        console.error(`startup: ${build} ${threads} thread(s) rep ${r + 1}: ${JSON.stringify(existing.at(-1))}`)
      }
      for (const [label, samples] of [
        ['new', fresh],
        ['existing', existing],
      ] as const) {
        const m = (key: keyof StartupSample) => median(samples.map((s) => s[key]))
        lines.push(
          `| ${build} | ${threads} | ${label} | ${(m('readyMs') / 1000).toFixed(2)} | ${m('cpuS').toFixed(2)} | ` +
            `${m('peakMib').toFixed(0)} | ${m('settledMib').toFixed(0)} |`,
        )
      }
    }
  }
  console.log(lines.join('\n'))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
