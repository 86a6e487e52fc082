import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { ModelSourceError, resolveModelSource, type ModelSourceOptions } from '../../../src/acquire/model-source.js'
import { startModelFileServer, type ModelFileServer } from '../../helpers/model-file-server.js'
import { modelPath } from '../../helpers/paths.js'

// From /work/shared/models/MODELS.md
const SHA256 = {
  stories: '270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d',
  shard1: 'c252e9461f6e3a172171674d3a8dcbca0ca8e24cc79cf6b2da8436d4c366f1e8',
  shard2: '409dfd1d598f8cdeb35150d43af8795cc6067876891ca0245a180da259f0bc39',
  shard3: '2247769163c62dbba2866836395b07b8cc09b721ef007da3b552fc0173052b74',
}

type Setup = { server: ModelFileServer; cacheDir: string; base: ModelSourceOptions; lines: string[] }

async function setup(t: Test): Promise<Setup> {
  const server = await startModelFileServer()
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'oxillama-cache-'))
  t.teardown(async () => {
    await server.close()
    await rm(cacheDir, { recursive: true, force: true })
  })
  const lines: string[] = []
  const progressStream = { isTTY: false, write: (chunk: string) => lines.push(chunk) }
  // env is empty so a real HF_TOKEN or HF_ENDPOINT on this machine cannot leak in
  const base = { cacheDir, hfEndpoint: server.origin, env: {}, progressStream, retryDelayMs: 10 }
  return { server, cacheDir, base, lines }
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
}

t.test('resolveModelSource() returns a local path as is and refuses a missing one', async (t) => {
  const local = modelPath('stories260K.gguf')
  t.equal(await resolveModelSource({ model: local, cacheDir: '/nonexistent' }), local)
  const missing = modelPath('nope.gguf')
  const error = await resolveModelSource({ model: missing, cacheDir: '/nonexistent' }).catch((e: unknown) => e)
  t.type(error, ModelSourceError)
  t.match(error, { code: 'not_found', message: `Cannot open model: '${missing}' does not exist` })
})

t.test('resolveModelSource() downloads a URL into <cache>/<host>/<path>/<file>', async (t) => {
  const { server, cacheDir, base } = await setup(t)
  const file = await resolveModelSource({
    ...base,
    model: `${server.origin}/redirect/stories260K.gguf`,
    sha256: SHA256.stories,
  })
  const host = server.origin.replace('http://', '').replace(':', '_')
  t.equal(file, path.join(cacheDir, host, 'redirect', 'stories260K.gguf'))
  t.equal(await sha256Of(file), SHA256.stories)
})

t.test('resolveModelSource() fetches an HF file through hfEndpoint into the hf cache layout', async (t) => {
  const { server, cacheDir, base, lines } = await setup(t)
  const file = await resolveModelSource({ ...base, hfRepo: 'test/models', hfFile: 'stories260K.gguf' })
  t.equal(file, path.join(cacheDir, 'hf', 'test', 'models', 'main', 'stories260K.gguf'))
  t.equal(await sha256Of(file), SHA256.stories)
  t.same(
    server.requests.map((r) => r.path),
    ['/test/models/resolve/main/stories260K.gguf', '/files/stories260K.gguf'],
  )
  t.ok(lines.length >= 1, 'progress printed')
  t.match(lines.at(-1), /^stories260K\.gguf 100% 1\.1\/1\.1 MiB .*\n$/)
  t.notMatch(lines.join(''), '\r', 'no carriage returns when not a TTY')

  const again = await resolveModelSource({ ...base, hfRepo: 'test/models', hfFile: 'stories260K.gguf' })
  t.equal(again, file)
  t.equal(server.requests.filter((r) => r.method === 'GET').length, 2, 'the cached file is reused')
})

t.test('resolveModelSource() downloads every shard of a split set named by its first shard', async (t) => {
  const { server, cacheDir, base } = await setup(t)
  const file = await resolveModelSource({
    ...base,
    hfRepo: 'test/models',
    hfFile: 'split/stories260K-00001-of-00003.gguf',
  })
  const dir = path.join(cacheDir, 'hf', 'test', 'models', 'main', 'split')
  t.equal(file, path.join(dir, 'stories260K-00001-of-00003.gguf'))
  t.same(
    readdirSync(dir).sort(),
    [1, 2, 3].map((n) => `stories260K-0000${n}-of-00003.gguf`),
  )
  t.equal(await sha256Of(path.join(dir, 'stories260K-00001-of-00003.gguf')), SHA256.shard1)
  t.equal(await sha256Of(path.join(dir, 'stories260K-00002-of-00003.gguf')), SHA256.shard2)
  t.equal(await sha256Of(path.join(dir, 'stories260K-00003-of-00003.gguf')), SHA256.shard3)
  t.equal(server.requestsTo('/files/split/').length, 3)
})

t.test('resolveModelSource() returns the first shard when asked for a later one', async (t) => {
  const { base } = await setup(t)
  const file = await resolveModelSource({
    ...base,
    hfRepo: 'test/models',
    hfFile: 'split/stories260K-00002-of-00003.gguf',
  })
  t.match(file, /stories260K-00001-of-00003\.gguf$/)
  t.equal(await sha256Of(file), SHA256.shard1)
})

t.test('resolveModelSource() sends HF_TOKEN as a Bearer token and explains a 401 without it', async (t) => {
  const { server, base } = await setup(t)
  const source = { ...base, hfRepo: 'test/private', hfFile: 'stories260K.gguf' }
  const error = await resolveModelSource(source).catch((e: unknown) => e)
  t.match(error, { code: 'http_status', status: 401 })
  t.match((error as Error).message, /HTTP 401.*HF_TOKEN/)

  const file = await resolveModelSource({ ...source, env: { HF_TOKEN: 'secret' } })
  t.equal(await sha256Of(file), SHA256.stories)
  t.equal(server.requests.at(-1)?.authorization, 'Bearer secret')
})

t.test('resolveModelSource() says a missing revision or file was not found', async (t) => {
  const { base } = await setup(t)
  const error = await resolveModelSource({
    ...base,
    hfRepo: 'test/models',
    hfFile: 'stories260K.gguf',
    hfRevision: 'v9',
  }).catch((e: unknown) => e)
  t.match(error, { code: 'http_status', status: 404 })
  t.match(
    (error as Error).message,
    /\/test\/models\/resolve\/v9\/stories260K\.gguf: HTTP 404.*file, repository or revision was not found/,
  )
})

t.test('resolveModelSource() refuses malformed sources before any request', async (t) => {
  const { server, base } = await setup(t)
  const cases: Array<[Partial<ModelSourceOptions>, RegExp]> = [
    [{ hfRepo: 'no-slash', hfFile: 'a.gguf' }, /--hf-repo must look like owner\/name/],
    [{ hfRepo: 'a/b/c', hfFile: 'a.gguf' }, /--hf-repo must look like owner\/name/],
    [{ hfRepo: '../x', hfFile: 'a.gguf' }, /--hf-repo must look like owner\/name/],
    [{ hfRepo: 'test/models', hfFile: '../secret.gguf' }, /--hf-file must be a relative path/],
    [{ hfRepo: 'test/models', hfFile: 'a/../../b.gguf' }, /--hf-file must be a relative path/],
    [{ hfRepo: 'test/models', hfFile: '/etc/passwd' }, /--hf-file must be a relative path/],
    [{ hfRepo: 'test/models', hfFile: 'C:\\x.gguf' }, /--hf-file must be a relative path/],
    [{ hfRepo: 'test/models', hfFile: 'a.gguf', hfRevision: '../main' }, /--hf-revision/],
    [{ hfRepo: 'test/models' }, /--hf-repo and --hf-file go together/],
    [{ model: 'x.gguf', hfRepo: 'test/models', hfFile: 'a.gguf' }, /either --model or --hf-repo/],
    [{}, /no model given/],
    [{ model: 'https://example.com/' }, /does not name a file/],
  ]
  for (const [source, message] of cases) {
    const error = await resolveModelSource({ ...base, ...source }).catch((e: unknown) => e)
    t.type(error, ModelSourceError, JSON.stringify(source))
    t.match(error, { code: 'invalid_source', message })
  }
  t.equal(server.requests.length, 0)
})
