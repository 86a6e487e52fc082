// Runs one engine in a child process (any runtime) and prints one JSON line: used to test both engine builds and
// that shutdown leaves nothing running (the process must exit by itself after close()).
import { chatCompletion } from '../../src/engine/generation/chat.js'
import { collectGeneration } from '../../src/engine/generation/collect.js'
import { textCompletion } from '../../src/engine/generation/completion.js'
import { Engine } from '../../src/engine/engine.js'
import { memoryLogger } from './engine.js'
import { modelPath } from './paths.js'

const [build = 'auto', threads = '1'] = process.argv.slice(2)
const logger = memoryLogger()
const engine = await Engine.start({
  modelPath: modelPath('stories260K.gguf'),
  build: build as 'auto',
  threads: Number(threads),
  ctxSize: 1024,
  parallel: 2,
  batchSize: 128,
  queueSize: 4,
  chatTemplate: 'chatml',
  logger,
})
const completion = await collectGeneration(
  textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 20, temperature: 0 }, {}),
)
const chat = await collectGeneration(
  chatCompletion(engine, { messages: [{ role: 'user', content: 'Hello' }], max_tokens: 12, temperature: 0 }, {}),
)
// leave a stream running into close(): shutdown must still end everything
const running = collectGeneration(
  textCompletion(engine, { prompt: 'Once', max_tokens: 2000, ignore_eos: true }, {}),
).catch((e: Error) => e.message)
await new Promise((r) => setTimeout(r, 200))
await engine.close()
console.log(
  JSON.stringify({
    build: engine.build,
    node: process.version,
    completion: completion.choices[0]?.text,
    chat: chat.choices[0]?.text,
    interrupted: await running,
    // wllama's worker logs the pthread pool it asks emscripten for
    pool: Number(/pthreadPoolSize: (\d+)/.exec(logger.lines.join('\n'))?.[1] ?? -1),
  }),
)
