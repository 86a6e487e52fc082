import fs from 'node:fs/promises'
import OpenAI from 'openai'
import { createApp, type App, type AppOptions } from '../../src/app.js'
import { parseConfig } from '../../src/config.js'
import { createLogger } from '../../src/http/logger.js'
import { startHttpServer, type HttpServer } from '../../src/transports/start.js'
import { freshDataDir } from './data-dir.js'
import { modelPath } from './paths.js'

/** Both transports; every end-to-end suite runs on each. */
export const TRANSPORTS = ['uws', 'node'] as const

/** A running server on a loopback port with an openai client pointed at it. */
export interface TestServer {
  app: App
  server: HttpServer
  url: string
  client: OpenAI
  dataDir: string
  close(): Promise<void>
}

/** Starts the real server (stories260K, chatml, 1 thread, temp data dir) and waits for the model. */
export async function startTestServer(options: {
  transport: 'uws' | 'node'
  args?: string[]
  dataDir?: string
  app?: Partial<AppOptions>
}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await freshDataDir('oxillama-e2e-'))
  const config = parseConfig(
    [
      '--model',
      modelPath('stories260K.gguf'),
      '--chat-template',
      'chatml',
      '--threads',
      '1',
      '--ctx-size',
      '2048',
      '--parallel',
      '2',
      '--data-dir',
      dataDir,
      '--log-level',
      'error',
      ...(options.args ?? []),
    ],
    {},
  )
  const logger = createLogger({ level: process.env.OXILLAMA_TEST_LOG ? 'debug' : 'error', stream: process.stderr })
  const app = await createApp({
    config,
    logger,
    validateReplies: true,
    progressStream: null,
    pollAfterMs: 50,
    ...options.app,
  })
  await app.ready
  const server = await startHttpServer(app.http, { transport: options.transport, host: '127.0.0.1', port: 0, logger })
  const client = new OpenAI({
    baseURL: `${server.url}/v1`,
    apiKey: config.apiKeys[0] ?? 'unused',
    maxRetries: 0,
    timeout: 120_000,
  })
  return {
    app,
    server,
    url: server.url,
    client,
    dataDir,
    async close() {
      await server.close()
      await app.close()
      if (!options.dataDir) await fs.rm(dataDir, { recursive: true, force: true })
    },
  }
}
