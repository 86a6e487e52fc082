// node examples/node.mjs   (MODEL=path/to/model.gguf, PORT=8080, DATA_DIR=./data; THREADS, CHAT_TEMPLATE)
import { createServer } from 'oxillama-server'

const env = process.env
const ox = await createServer({
  model: env.MODEL ?? 'model.gguf',
  chatTemplate: env.CHAT_TEMPLATE, // unset: the model's own template
  threads: env.THREADS ? Number(env.THREADS) : undefined,
  dataDir: env.DATA_DIR ?? './data',
})
// listen() serves with uWebSockets.js when it loads, else node:http (ox.fetch is there too, for fetch frameworks)
const server = await ox.listen({ port: Number(env.PORT ?? 8080) })
process.on('SIGTERM', async () => {
  await ox.close() // stops the listener too: later requests get 503, streams in flight get 5 s
  process.exit(0)
})
await ox.ready // requests before this get 503 "The model is still loading"
console.log(`oxillama-server ready on ${server.url} (transport ${server.transport})`)
