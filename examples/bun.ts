// bun examples/bun.ts   (MODEL=path/to/model.gguf, PORT=8080, DATA_DIR=./data; THREADS, CHAT_TEMPLATE)
import { createServer } from 'oxillama-server'

const env = process.env
const ox = await createServer({
  model: env.MODEL ?? 'model.gguf',
  chatTemplate: env.CHAT_TEMPLATE, // unset: the model's own template
  threads: env.THREADS ? Number(env.THREADS) : undefined,
  dataDir: env.DATA_DIR ?? './data',
})
// idleTimeout 0: Bun ends a response idle for 10 s by default, and a long prompt streams nothing for a while
const server = Bun.serve({ port: Number(env.PORT ?? 8080), fetch: ox.fetch, idleTimeout: 0 })
process.on('SIGTERM', async () => {
  await ox.close() // later requests get 503, streams in flight get 5 s, then engine and store close
  await server.stop(true)
  process.exit(0)
})
await ox.ready // requests before this get 503 "The model is still loading"
console.log(`oxillama-server ready on http://127.0.0.1:${server.port}`)
