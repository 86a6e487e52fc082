import t from 'tap'
import { newId, type IdPrefix } from '../../../src/store/ids.js'

t.test('newId() is the prefix, an underscore and 24 base62 characters', async (t) => {
  for (const prefix of ['asst', 'thread', 'msg', 'run', 'step', 'call'] satisfies IdPrefix[]) {
    t.match(newId(prefix), new RegExp(`^${prefix}_[0-9A-Za-z]{24}$`))
  }
})

t.test('newId() writes file ids with a dash, as OpenAI does, and the Files and Batches prefixes with _', async (t) => {
  t.match(newId('file'), /^file-[0-9A-Za-z]{24}$/)
  for (const prefix of ['upload', 'part', 'batch', 'batch_req'] satisfies IdPrefix[])
    t.match(newId(prefix), new RegExp(`^${prefix}_[0-9A-Za-z]{24}$`))
})

t.test('newId() does not repeat and uses the whole alphabet', async (t) => {
  const ids = Array.from({ length: 20_000 }, () => newId('msg'))
  t.equal(new Set(ids).size, ids.length)
  const seen = new Set(ids.flatMap((id) => [...id.slice(4)]))
  t.equal(seen.size, 62)
})
