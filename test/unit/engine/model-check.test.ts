import t, { type Test } from 'tap'
import { copyFile, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  checkModel,
  kvCacheBytes,
  ModelFileError,
  HEAP_MARGIN,
  type ModelFileErrorCode,
} from '../../../src/engine/gguf/model-check.js'
import { buildGgufHeader, type GgufKvEntry, type GgufTensorSpec } from '../../helpers/gguf-builder.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const models = resolve(repoRoot, '../shared/models')
const main = { build: 'main', nCtx: 256 } as const

async function rejectsWith(
  t: Test,
  p: Promise<unknown>,
  code: ModelFileErrorCode,
  path: string,
  reason: RegExp,
): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  t.type(err, ModelFileError, `${code}: throws ModelFileError`)
  const e = err as ModelFileError
  t.equal(e.code, code)
  t.ok(e.message.includes(path), `message names the file: ${e.message}`)
  t.match(e.message, reason)
}

t.test('checkModel() accepts stories260K', async (t) => {
  const info = await checkModel(join(models, 'stories260K.gguf'), main)
  t.same(info.paths, [join(models, 'stories260K.gguf')])
  t.equal(info.tensorCount, 48)
  t.equal(info.vocabSize, 512)
  t.equal(info.architecture, 'llama')
  t.equal(info.contextLength, 2048)
  t.equal(info.embeddingLength, 64)
  t.equal(info.blockCount, 5)
  t.equal(info.headCount, 8)
  t.equal(info.headCountKv, 4)
  t.equal(info.chatTemplate, null)
  t.equal(info.fileSize, 1185376)
  // all F32: the weights are the data section
  t.equal(info.tensorBytes, 1185376 - info.header.dataOffset)
  // 5 layers * 4 kv heads * (8 + 8) head dims * 2 bytes * 256 cells
  t.equal(kvCacheBytes(info.header, 256), 5 * 4 * 16 * 2 * 256)
  t.equal(info.heapBytes, info.tensorBytes + 5 * 4 * 16 * 2 * 256 + HEAP_MARGIN)
  t.equal(info.hasEncoder, false)
})

t.test('checkModel() accepts llama-2-tiny-random (F16 tensors)', async (t) => {
  const info = await checkModel(join(models, 'llama-2-tiny-random.gguf'), { build: 'compat', nCtx: 0 })
  t.equal(info.vocabSize, 32000)
  t.equal(info.tensorBytes, 1750560 - info.header.dataOffset)
  t.equal(info.name, 'LLaMA v2')
})

t.test('checkModel() returns every shard of a split model in order', async (t) => {
  const info = await checkModel(join(models, 'split/stories260K-00001-of-00003.gguf'), main)
  t.same(
    info.paths,
    [1, 2, 3].map((i) => join(models, `split/stories260K-0000${i}-of-00003.gguf`)),
  )
  t.equal(info.tensorCount, 48)
  t.equal(info.fileSize, 505696 + 340000 + 340000)
  t.equal(info.vocabSize, 512)
})

t.test('checkModel() refuses a shard other than the first', async (t) => {
  const p = join(models, 'split/stories260K-00002-of-00003.gguf')
  await rejectsWith(t, checkModel(p, main), 'bad_split', p, /not the first shard.*-00001-of-00003\.gguf/)
})

t.test('checkModel() refuses GGUF v1', async (t) => {
  const p = join(models, 'legacy/tinyllamas-stories-260k-f32.gguf')
  await rejectsWith(
    t,
    checkModel(p, main),
    'unsupported_version',
    p,
    /GGUF v1 is no longer supported by llama.cpp; re-convert the model/,
  )
})

t.test('checkModel() refuses vocab-only files', async (t) => {
  for (const f of ['vocab/ggml-vocab-phi-3.gguf', 'vocab/ggml-vocab-bert-bge.gguf']) {
    await rejectsWith(t, checkModel(join(models, f), main), 'no_weights', join(models, f), /no tensors.*vocab-only/)
  }
})

t.test('checkModel() on broken files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'model-check-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  t.test('missing file', async (t) => {
    const p = join(dir, 'nope.gguf')
    await rejectsWith(t, checkModel(p, main), 'not_found', p, /does not exist/)
  })
  t.test('a directory', async (t) => {
    await rejectsWith(t, checkModel(dir, main), 'not_found', dir, /directory/)
  })
  t.test('random bytes', async (t) => {
    const p = join(dir, 'random.gguf')
    await writeFile(p, Buffer.concat([Buffer.from('XXXX'), randomBytes(4096)]))
    await rejectsWith(t, checkModel(p, main), 'not_gguf', p, /not a GGUF file/)
  })
  t.test('stories260K cut to its first 600 KB', async (t) => {
    const p = join(dir, 'cut.gguf')
    await writeFile(p, (await readFile(join(models, 'stories260K.gguf'))).subarray(0, 600 * 1024))
    await rejectsWith(
      t,
      checkModel(p, main),
      'truncated',
      p,
      /tensor '.*' ends at byte \d+ but the file has only 614400 bytes/,
    )
  })
  t.test('stories260K cut inside its header', async (t) => {
    const p = join(dir, 'cut-header.gguf')
    await writeFile(p, (await readFile(join(models, 'stories260K.gguf'))).subarray(0, 5000))
    await rejectsWith(t, checkModel(p, main), 'truncated', p, /truncated/)
  })
  t.test('a split set with shard 2 deleted', async (t) => {
    const split = join(dir, 'split')
    await rm(split, { recursive: true, force: true })
    await import('node:fs/promises').then((fs) => fs.mkdir(split))
    for (const i of [1, 3]) {
      const name = `stories260K-0000${i}-of-00003.gguf`
      await copyFile(join(models, 'split', name), join(split, name))
    }
    const first = join(split, 'stories260K-00001-of-00003.gguf')
    await rejectsWith(
      t,
      checkModel(first, main),
      'missing_shard',
      first,
      /shard 2 of 3 is missing: '.*stories260K-00002-of-00003\.gguf' does not exist/,
    )
  })
})

t.test('checkModel() size limits on sparse synthetic files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'model-check-big-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const GiB = 1024 ** 3

  // llama with 32 layers, 4096 embedding, 32 heads, 8 KV heads: 128-dim heads, 1024-wide K and V per layer
  const kv: Record<string, GgufKvEntry> = {
    'general.architecture': { type: 'string', value: 'llama' },
    'llama.context_length': { type: 'u32', value: 8192 },
    'llama.embedding_length': { type: 'u32', value: 4096 },
    'llama.block_count': { type: 'u32', value: 32 },
    'llama.attention.head_count': { type: 'u32', value: 32 },
    'llama.attention.head_count_kv': { type: 'u32', value: 8 },
  }
  async function sparseModel(name: string, tensorGiB: number[]): Promise<string> {
    // Q8_0 rows of 4096 values: 34 bytes per 32 values; pick rows so each tensor is about tensorGiB
    const tensors: GgufTensorSpec[] = tensorGiB.map((g, i) => {
      const rows = Math.round((g * GiB) / ((4096 / 32) * 34))
      return { name: `blk.${i}.w`, dims: [4096, rows], type: 8, bytes: rows * (4096 / 32) * 34 }
    })
    const { header, dataBytes } = buildGgufHeader(kv, tensors)
    const p = join(dir, name)
    const fh = await open(p, 'w')
    await fh.write(header)
    await fh.close()
    await truncate(p, header.length + dataBytes) // sparse: no real data is written
    return p
  }

  const small = await sparseModel('small.gguf', [1.5])
  const info = await checkModel(small, { build: 'compat', nCtx: 4096 })
  t.ok(info.tensorBytes > 1.49 * GiB && info.tensorBytes < 1.51 * GiB)
  t.equal(kvCacheBytes(info.header, 4096), 4096 * 32 * (1024 + 1024) * 2)

  const twoGiB = await sparseModel('two.gguf', [2.1])
  t.ok((await checkModel(twoGiB, { build: 'main', nCtx: 4096 })).fileSize > 2 * GiB, 'main build takes a 2.1 GiB file')
  await rejectsWith(
    t,
    checkModel(twoGiB, { build: 'compat', nCtx: 4096 }),
    'too_big_for_build',
    twoGiB,
    /2\.1\d GiB.*wasm32 builds \(compat\).*main build \(Node 24 or newer\).*llama-gguf-split/,
  )

  const big = await sparseModel('big.gguf', [1.8, 1.8])
  t.equal((await checkModel(big, { build: 'main', nCtx: 512 })).paths.length, 1)
  // 8192 cells * 32 layers * 2048 * 2 bytes = 1 GiB of KV on top of 3.6 GiB of weights
  await rejectsWith(
    t,
    checkModel(big, { build: 'main', nCtx: 8192 }),
    'too_big_for_heap',
    big,
    /about 4\.\d\d GiB.*3\.60 GiB weights.*1\.00 GiB KV cache for 8192 tokens.*limit is 4\.00 GiB.*smaller --ctx-size/,
  )
  // nCtx 0 means the model's own context length (8192 here)
  await rejectsWith(t, checkModel(big, { build: 'main', nCtx: 0 }), 'too_big_for_heap', big, /8192 tokens/)

  const huge = await sparseModel('huge.gguf', [4.5])
  await rejectsWith(t, checkModel(huge, { build: 'main', nCtx: 16 }), 'too_big_for_heap', huge, /4\.50 GiB weights/)
})
