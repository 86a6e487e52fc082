import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { collectGeneration } from '../../../src/engine/generation/collect.js'
import { textCompletion } from '../../../src/engine/generation/completion.js'
import { embed } from '../../../src/engine/generation/embeddings.js'
import { ModelFileError } from '../../../src/engine/gguf/model-check.js'
import { memoryLogger, startTestEngine } from '../../helpers/engine.js'
import { modelPath } from '../../helpers/paths.js'

const opts = {}
const greedy = { prompt: 'Once upon a time', max_tokens: 24, temperature: 0 }

t.test('embeddings have 64 dims and unit norm; a batch returns one vector per input, in order', async (t) => {
  const engine = await startTestEngine()
  t.teardown(() => engine.close())
  const inputs = ['Hello world', 'The cat sat on the mat', 'Hello world', 'Lily went to the park']
  const batch = await embed(engine, inputs)
  t.equal(batch.embeddings.length, 4)
  for (const v of batch.embeddings) {
    t.equal(v.length, 64)
    t.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4, 'unit norm')
  }
  // vectors computed in different batch positions agree to float rounding, not bit for bit
  const cos = (a: number[] | undefined, b: number[] | undefined) =>
    (a ?? []).reduce((sum, x, j) => sum + x * (b?.[j] ?? 0), 0)
  t.ok(cos(batch.embeddings[0], batch.embeddings[2]) > 0.9999, 'same input, same vector')
  t.ok(cos(batch.embeddings[0], batch.embeddings[1]) < 0.99, 'different inputs, different vectors')
  for (const [i, text] of inputs.entries()) {
    const single = await embed(engine, [text])
    const dot = cos(single.embeddings[0], batch.embeddings[i])
    t.ok(dot > 0.9999, `input ${i} in batch equals its single embedding (cos ${dot.toFixed(6)})`)
  }
  t.equal(
    batch.promptTokens,
    inputs.reduce((n, s) => n + engine.tokenizer.tokenize(s).length, 0),
    'usage counts every input',
  )
  await t.rejects(embed(engine, ['ok', '']), { code: 'invalid_request', param: 'input[1]' })
})

t.test('the engine and the JS tokenizer agree on prompt token counts', async (t) => {
  const engine = await startTestEngine()
  t.teardown(() => engine.close())
  for (const prompt of ['Once upon a time', 'A café in Zürich 🍰', '  spaces   and\nnewlines\t!', 'Lily and Tom']) {
    const res = await collectGeneration(textCompletion(engine, { prompt, max_tokens: 1, temperature: 0 }, opts))
    t.equal(res.usage.prompt_tokens, engine.tokenizer.tokenize(prompt).length, JSON.stringify(prompt))
  }
  t.equal(
    engine.tokenizer.detokenize(engine.tokenizer.tokenize('Once upon a time', { addSpecial: false })),
    'Once upon a time',
  )
})

t.test('the split set gives the same output as the single file', async (t) => {
  const single = await startTestEngine()
  const one = await collectGeneration(textCompletion(single, greedy, opts))
  await single.close()
  const logger = memoryLogger()
  const split = await startTestEngine({ modelPath: modelPath('split/stories260K-00001-of-00003.gguf'), logger })
  t.teardown(() => split.close())
  t.equal(split.modelInfo.paths.length, 3, 'all three shards load')
  const three = await collectGeneration(textCompletion(split, greedy, opts))
  t.equal(three.choices[0]?.text, one.choices[0]?.text)
  t.notOk(
    logger.lines.some((line) => line.includes('go through a copy')),
    'every shard was read straight into the wasm heap',
  )
})

t.test('bad model files fail clearly, naming the file and the reason', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-bad-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  const noise = path.join(dir, 'noise.gguf')
  await fs.writeFile(noise, Buffer.alloc(4096, 7))
  const cut = path.join(dir, 'cut.gguf')
  await fs.writeFile(cut, (await fs.readFile(modelPath('stories260K.gguf'))).subarray(0, 600_000))
  const cases: [string, string, RegExp][] = [
    [noise, 'not_gguf', /not a GGUF/i],
    [cut, 'truncated', /truncated|ends/i],
    [modelPath('legacy/tinyllamas-stories-260k-f32.gguf'), 'unsupported_version', /v1/i],
    [modelPath('vocab/ggml-vocab-phi-3.gguf'), 'no_weights', /tensor|weights/i],
    [path.join(dir, 'missing.gguf'), 'not_found', /not found|no such|does not exist/i],
  ]
  for (const [file, code, reason] of cases) {
    const error = await startTestEngine({ modelPath: file }).then(
      () => null,
      (e: unknown) => e,
    )
    t.type(error, ModelFileError, `${path.basename(file)} is refused`)
    t.equal((error as ModelFileError).code, code)
    t.ok((error as Error).message.includes(file), 'the message names the file')
    t.match((error as Error).message, reason)
  }
})

t.test('a context too large for the 4 GiB heap is refused before loading', async (t) => {
  const error = await startTestEngine({ ctxSize: 1 << 30 }).then(
    () => null,
    (e: unknown) => e,
  )
  t.match(error, { code: 'too_big_for_heap' })
})
