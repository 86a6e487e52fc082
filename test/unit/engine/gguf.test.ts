import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { GgufError, readGgufHeader } from '../../../src/engine/gguf/gguf.js'
import { buildGgufHeader } from '../../helpers/gguf-builder.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const models = resolve(repoRoot, '../shared/models')

t.test('readGgufHeader() reads metadata and the tensor table of stories260K', async (t) => {
  const h = await readGgufHeader(join(models, 'stories260K.gguf'))
  t.equal(h.version, 3)
  t.equal(h.tensors.length, 48)
  t.equal(h.alignment, 32)
  t.equal(h.fileSize, 1185376)
  t.equal(h.kv.get('general.architecture'), 'llama')
  t.equal(h.kv.get('llama.block_count'), 5)
  t.equal((h.kv.get('tokenizer.ggml.tokens') as string[]).length, 512)
  t.equal((h.kv.get('tokenizer.ggml.tokens') as string[])[1], '<s>')
  t.equal(h.dataOffset % 32, 0)
  const last = h.tensors.at(-1)
  t.same(last, { name: 'blk.4.ffn_norm.weight', dims: [64], type: 0, offset: 1170944 })
  // the last F32 tensor of 64 values ends exactly at the end of the file
  t.equal(h.dataOffset + 1170944 + 64 * 4, h.fileSize)
})

t.test('readGgufHeader() reads a 32k vocab and a chat template', async (t) => {
  const h = await readGgufHeader(join(models, 'vocab/ggml-vocab-phi-3.gguf'))
  t.equal((h.kv.get('tokenizer.ggml.tokens') as string[]).length, 32064)
  t.equal((h.kv.get('tokenizer.ggml.scores') as number[]).length, 32064)
  t.match(h.kv.get('tokenizer.chat_template'), /^\{\{ bos_token \}\}/)
  t.equal(h.kv.get('tokenizer.ggml.add_bos_token'), true)
  t.equal(h.tensors.length, 0)
})

t.test('readGgufHeader() reports GGUF v1 without parsing it', async (t) => {
  await t.rejects(readGgufHeader(join(models, 'legacy/tinyllamas-stories-260k-f32.gguf')), {
    code: 'unsupported_version',
    message: /GGUF v1 is no longer supported by llama.cpp; re-convert the model/,
  })
})

t.test('readGgufHeader() errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gguf-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const kv = { 'general.architecture': { type: 'string', value: 'llama' } } as const
  const { header } = buildGgufHeader({ ...kv, 'big.count': { type: 'u64', value: 2 ** 60 } }, [])

  t.test('not GGUF magic', async (t) => {
    const p = join(dir, 'text.gguf')
    await writeFile(p, 'hello world, not a model')
    await t.rejects(readGgufHeader(p), { code: 'not_gguf' })
  })
  t.test('empty and tiny files', async (t) => {
    await writeFile(join(dir, 'empty.gguf'), '')
    await t.rejects(readGgufHeader(join(dir, 'empty.gguf')), { code: 'not_gguf' })
    await writeFile(join(dir, 'tiny.gguf'), 'GGU')
    await t.rejects(readGgufHeader(join(dir, 'tiny.gguf')), { code: 'truncated' })
  })
  t.test('header cut in the middle', async (t) => {
    const p = join(dir, 'cut.gguf')
    await writeFile(p, header.subarray(0, header.length - 40))
    await t.rejects(readGgufHeader(p), GgufError)
    await t.rejects(readGgufHeader(p), { code: 'truncated' })
  })
  t.test('unsafe u64 values come back as bigint', async (t) => {
    const p = join(dir, 'big.gguf')
    await writeFile(p, header)
    const h = await readGgufHeader(p)
    t.equal(h.kv.get('big.count'), 2n ** 60n)
    t.equal(h.alignment, 32)
  })
  t.test('version 2 parses, version 4 does not', async (t) => {
    const v2 = buildGgufHeader(kv, [], { version: 2 }).header
    await writeFile(join(dir, 'v2.gguf'), v2)
    t.equal((await readGgufHeader(join(dir, 'v2.gguf'))).version, 2)
    await writeFile(join(dir, 'v4.gguf'), buildGgufHeader(kv, [], { version: 4 }).header)
    await t.rejects(readGgufHeader(join(dir, 'v4.gguf')), { code: 'unsupported_version' })
  })
  t.test('custom alignment moves the data offset', async (t) => {
    const p = join(dir, 'align.gguf')
    const built = buildGgufHeader(
      { ...kv, 'general.alignment': { type: 'u32', value: 64 } },
      [{ name: 'w', dims: [4], type: 0, bytes: 16 }],
      { alignment: 64 },
    )
    await writeFile(p, Buffer.concat([built.header, Buffer.alloc(16)]))
    const h = await readGgufHeader(p)
    t.equal(h.alignment, 64)
    t.equal(h.dataOffset, built.header.length)
    t.equal(h.dataOffset % 64, 0)
  })
  t.test('a header over the size cap fails clearly', async (t) => {
    const p = join(dir, 'huge-vocab.gguf')
    const words = Array.from({ length: 5000 }, (_, i) => `token-${i}-${'x'.repeat(40)}`)
    await writeFile(
      p,
      buildGgufHeader({ ...kv, 'tokenizer.ggml.tokens': { type: 'string[]', value: words } }, []).header,
    )
    t.equal(((await readGgufHeader(p)).kv.get('tokenizer.ggml.tokens') as string[])[4999], words[4999])
    await t.rejects(readGgufHeader(p, { maxHeaderBytes: 100_000 }), {
      code: 'header_too_large',
      message: /larger than 100000 bytes/,
    })
  })
})
