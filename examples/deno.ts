// deno run -A examples/deno.ts   (MODEL=path/to/model.gguf, PORT=8080, DATA_DIR=./data; THREADS, CHAT_TEMPLATE)
import { createServer } from 'oxillama-server'

const env = Deno.env.toObject()
const ox = await createServer({
  model: env.MODEL ?? 'model.gguf',
  chatTemplate: env.CHAT_TEMPLATE, // unset: the model's own template
  threads: env.THREADS ? Number(env.THREADS) : undefined,
  dataDir: env.DATA_DIR ?? './data',
})
const server = Deno.serve({ port: Number(env.PORT ?? 8080), onListen: () => {} }, ox.fetch)
Deno.addSignalListener('SIGTERM', async () => {
  await ox.close() // later requests get 503, streams in flight get 5 s, then engine and store close
  await server.shutdown()
  Deno.exit(0)
})
await ox.ready // requests before this get 503 "The model is still loading"
console.log(`oxillama-server ready on http://127.0.0.1:${server.addr.port}`)
