import { Engine, type EngineConfig } from '../../src/engine/engine.js'
import type { EngineLogger } from '../../src/engine/host/worker-host.js'
import type { Logger } from '../../src/http/logger.js'
import { modelPath } from './paths.js'

/** A logger that keeps lines in memory (set OXILLAMA_TEST_LOG=1 to print them). */
export function memoryLogger(): EngineLogger & Logger & { lines: string[] } {
  const lines: string[] = []
  const log = (level: string) => (msg: string) => {
    lines.push(`${level} ${msg}`)
    if (process.env.OXILLAMA_TEST_LOG) console.error(`${level} ${msg}`)
  }
  const info = log('info')
  return {
    lines,
    debug: log('debug'),
    info,
    warn: log('warn'),
    error: log('error'),
    request: (entry) => info(`${entry.method} ${entry.path} ${entry.status}`),
  }
}

/** Starts an engine on stories260K with chatml, 1 thread, as the tests use it. */
export function startTestEngine(overrides: Partial<EngineConfig> = {}): Promise<Engine> {
  return Engine.start({
    modelPath: modelPath('stories260K.gguf'),
    build: 'auto',
    threads: 1,
    ctxSize: 2048,
    parallel: 2,
    batchSize: 128,
    queueSize: 8,
    chatTemplate: 'chatml',
    logger: memoryLogger(),
    restartDelayMs: [50, 1000],
    ...overrides,
  })
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}
