import t from 'tap'
import { checkInput, jsonlLines, parseLine } from '../../../src/api/batch-input.js'

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

const line = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/embeddings', body: { model: 'm', input: 'é' }, ...extra })

t.test('jsonlLines() numbers lines from 1, skips blank ones and survives any chunking', async (t) => {
  const text = `${line('a')}\r\n\n${line('b')}\n${line('c')}`
  for (const size of [1, 3, 1000]) {
    const got = []
    for await (const l of jsonlLines(chunks(text, size))) got.push(l.line)
    t.same(got, [1, 3, 4], `chunk size ${size}`)
  }
})

t.test('parseLine() names what is wrong', async (t) => {
  t.match(parseLine('{', 7, '/v1/embeddings'), { code: 'invalid_json', line: 7 })
  t.match(parseLine('[]', 1, '/v1/embeddings'), { code: 'invalid_request' })
  t.match(parseLine(line(''), 1, '/v1/embeddings'), { code: 'missing_custom_id', param: 'custom_id' })
  t.match(parseLine(line('a', { method: 'GET' }), 1, '/v1/embeddings'), { code: 'invalid_method' })
  t.match(parseLine(line('a'), 1, '/v1/chat/completions'), { code: 'mismatched_url', param: 'url' })
  t.match(parseLine(line('a', { body: 'x' }), 1, '/v1/embeddings'), { code: 'missing_body' })
  t.match(parseLine(line('a', { body: { stream: true } }), 1, '/v1/embeddings'), { param: 'body.stream' })
  t.match(parseLine(line('a', { body: { background: true } }), 1, '/v1/embeddings'), { param: 'body.background' })
  t.match(parseLine(line('a'), 2, '/v1/embeddings'), { line: 2, custom_id: 'a', body: { input: 'é' } })
})

t.test('checkInput() counts requests and lists duplicate ids, mixed models and an empty file', async (t) => {
  const good = await checkInput(chunks([line('a'), line('b')].join('\n'), 5), '/v1/embeddings')
  t.same(good, { total: 2, model: 'm', errors: [] })
  const bad = await checkInput(
    chunks([line('a'), line('a'), line('c', { body: { model: 'other' } })].join('\n'), 64),
    '/v1/embeddings',
  )
  t.same(
    bad.errors.map((e) => [e.line, e.code]),
    [
      [2, 'duplicate_custom_id'],
      [3, 'mismatched_model'],
    ],
  )
  t.match((await checkInput(chunks('\n\n', 1), '/v1/embeddings')).errors, [{ code: 'empty_file', line: null }])
})
