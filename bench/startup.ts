// Startup and footprint benchmark: time to ready, CPU seconds to ready, peak and settled RSS of the bundled server
// per engine build, with a new and an existing data dir, for one or more dist/ folders (e.g. this commit's and a
// previous commit's, built with `git archive <rev> | tar -x -C /tmp/old && ln -s $PWD/node_modules /tmp/old/ &&
// (cd /tmp/old && node scripts/build.mjs)`). With --vs-native, also the RSS of the server on the synthetic 135M Q8_0
// model after its chats, beside native llama.cpp's (bench/native.ts) on the same file and context size. With --chats N,
// each start on an existing data dir also sends N greedy chats and reports the RSS after them (the first requests
// compile the engine's hot code). A dist label may name its own engine assets: old=dist@/tmp/old-wasm runs that dist
// with OXILLAMA_WASM_DIR=/tmp/old-wasm (see scripts/prepare-wasm.mjs --builds), to compare engine builds.
// Linux only (reads /proc). Run `npm run build` first.
// usage: npx tsx bench/startup.ts [--builds compat,simd] [--threads 1,2] [--reps 3] [--settle 5] [--chats 0]
//        [--dists new=dist,old=/tmp/old/dist] [--vs-native] [--model ../shared/models/stories260K.gguf]
//        [--node-args=--wasm-lazy-compilation,...] [--env MALLOC_ARENA_MAX=2,...]
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { runNative } from './native.js'
import { REPO_ROOT, SHARED_MODELS_DIR } from './paths.js'
import { ensureSynthModel } from './synth-models.js'
import { median } from './stats.js'

/** One start of the server: what it cost to become ready and what it holds afterwards. */
export type StartupSample = {
  readyMs: number
  cpuS: number
  peakMib: number
  settledMib: number
  afterChatMib?: number
}

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
  dist: string
  model: string
  build: string
  threads: number
  dataDir: string
  settleS: number
  nodeArgs?: string[]
  /** Extra server flags (e.g. --ctx-size). */
  serverArgs?: string[]
  /** Extra environment (e.g. MALLOC_ARENA_MAX). */
  env?: Record<string, string>
  /** After settling, send `chats` (default 1) chats of this many tokens; the RSS after them is `afterChatMib`. */
  chatTokens?: number
  chats?: number
}): Promise<StartupSample> {
  const [dist = '', wasmDir] = options.dist.split('@')
  const bundle = path.join(path.resolve(REPO_ROOT, dist), 'oxillama-server.cjs')
  const args = [bundle, '--model', options.model, '--engine-build', options.build, '--threads', String(options.threads)]
  args.push('--port', '0', '--data-dir', options.dataDir, '--log-level', 'error', '--chat-template', 'chatml')
  args.push(...(options.serverArgs ?? []))
  const started = performance.now()
  const env = { ...process.env, ...options.env, ...(wasmDir ? { OXILLAMA_WASM_DIR: path.resolve(wasmDir) } : {}) }
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  })
  const pid = child.pid as number
  try {
    let url = ''
    await new Promise<void>((resolve, reject) => {
      let out = ''
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        out += chunk
        const ready = /ready on (http:\/\/[^:\s]+:\d+)/.exec(out)
        if (ready) {
          url = ready[1] as string
          resolve()
        }
      })
      child.on('exit', (code) => reject(new Error(`The server exited (${code}) before it was ready`)))
    })
    const readyMs = performance.now() - started
    const cpuS = await cpuSeconds(pid)
    await new Promise((r) => setTimeout(r, options.settleS * 1000))
    const { peak, now } = await rss(pid)
    const sample: StartupSample = { readyMs, cpuS, peakMib: peak, settledMib: now }
    if (options.chatTokens) {
      for (let i = 0; i < (options.chats ?? 1); i++)
        await chat(url, path.basename(options.model, '.gguf'), options.chatTokens)
      await new Promise((r) => setTimeout(r, 1000))
      const after = await rss(pid)
      sample.afterChatMib = after.now
      sample.peakMib = after.peak
    }
    return sample
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))
  }
}

/** One greedy chat completion of `tokens` tokens. */
async function chat(url: string, model: string, tokens: number): Promise<void> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      messages: [{ role: 'user', content: 'Tell me a story about a dog.' }],
      max_tokens: tokens,
      temperature: 0,
    }),
  })
  if (!res.ok) throw new Error(`chat: ${res.status} ${await res.text()}`)
  await res.json()
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
      dists: { type: 'string', default: 'new=dist' },
      'vs-native': { type: 'boolean', default: false },
      chats: { type: 'string', default: '0' },
      env: { type: 'string', default: '' },
    },
  })
  const dists = values.dists.split(',').map((entry) => entry.split('=') as [string, string])
  const nodeArgs = values['node-args'].split(',').filter(Boolean)
  const env = Object.fromEntries(
    values.env
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  )
  const chats = Number(values.chats)
  const chatColumn = chats > 0 ? [`RSS after ${chats} chats MiB`] : []
  const lines = [
    `| ${['dist', 'build', 'threads', 'data dir', 'ready s', 'CPU s to ready', 'peak RSS MiB', 'settled RSS MiB', ...chatColumn].join(' | ')} |`,
    `| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |${chatColumn.map(() => ' ---: |').join('')}`,
  ]
  // --reps 0: only the comparison with native
  for (const build of Number(values.reps) > 0 ? values.builds.split(',') : []) {
    for (const threads of values.threads.split(',').map(Number)) {
      const samples = new Map(
        dists.map(([label]) => [label, { fresh: [] as StartupSample[], existing: [] as StartupSample[] }]),
      )
      // the dists take turns in every repetition, so a busy spell on the shared machine hits them alike
      for (let r = 0; r < Number(values.reps); r++) {
        for (const [label, dist] of dists) {
          const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-startup-'))
          const into = samples.get(label) as { fresh: StartupSample[]; existing: StartupSample[] }
          try {
            const common = {
              dist,
              model: values.model,
              build,
              threads,
              dataDir,
              settleS: Number(values.settle),
              nodeArgs,
              env,
            }
            into.fresh.push(await startOnce(common)) // creates the store
            // reopens it; with --chats its peak is the whole run's, chats included
            const existing = await startOnce({ ...common, ...(chats > 0 ? { chatTokens: 32, chats } : {}) })
            into.existing.push(existing)
          } finally {
            await fs.rm(dataDir, { recursive: true, force: true })
          }
          console.error(
            `startup: ${label} ${build} ${threads} thread(s) rep ${r + 1}: ${JSON.stringify(into.existing.at(-1))}`,
          )
        }
      }
      for (const [label, { fresh, existing }] of samples) {
        for (const [dirLabel, runs] of [
          ['new', fresh],
          ['existing', existing],
        ] as const) {
          const m = (key: keyof StartupSample) => median(runs.map((s) => s[key] ?? 0))
          const afterChats = chats > 0 ? [dirLabel === 'existing' ? m('afterChatMib').toFixed(0) : '—'] : []
          lines.push(
            `| ${label} | ${build} | ${threads} | ${dirLabel} | ${(m('readyMs') / 1000).toFixed(2)} | ` +
              `${m('cpuS').toFixed(2)} | ${m('peakMib').toFixed(0)} | ${m('settledMib').toFixed(0)} |` +
              afterChats.map((v) => ` ${v} |`).join(''),
          )
        }
      }
    }
  }
  console.log(lines.join('\n'))
  if (values['vs-native']) {
    const threadCounts = values.threads.split(',').map(Number)
    console.log(`\n${await versusNative(dists, threadCounts, Math.max(1, chats), env)}`)
  }
}

/** The server on the synthetic 135M Q8_0 model (simd build, ctx 1024, 1 slot) after its chats, beside native llama.cpp. */
async function versusNative(
  dists: [string, string][],
  threadCounts: number[],
  chats: number,
  env: Record<string, string>,
): Promise<string> {
  const model = await ensureSynthModel('135m', 'q8_0')
  const lines = [
    `| engine | threads | peak RSS MiB | RSS after ${chats} chat(s) MiB | x native (after chats / peak) |`,
    '| --- | ---: | ---: | ---: | ---: |',
  ]
  for (const threads of threadCounts) {
    const native = await runNative({ model, threads, reps: 1, warmup: 0, gen: 32 })
    lines.push(`| native | ${threads} | ${native.peak_rss_mib.toFixed(0)} | — | — |`)
    for (const [label, dist] of dists) {
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-startup-'))
      try {
        const common = { dist, model, build: 'simd', threads, dataDir, settleS: 1, env }
        await startOnce(common) // the store exists from here on, as on a server's usual start
        const serverArgs = ['--ctx-size', '1024', '--parallel', '1']
        const s = await startOnce({ ...common, chatTokens: 32, chats, serverArgs })
        const after = s.afterChatMib ?? 0
        lines.push(
          `| server (${label}) | ${threads} | ${s.peakMib.toFixed(0)} | ${after.toFixed(0)} | ` +
            `${(after / native.peak_rss_mib).toFixed(2)} |`,
        )
      } finally {
        await fs.rm(dataDir, { recursive: true, force: true })
      }
    }
  }
  return lines.join('\n')
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
