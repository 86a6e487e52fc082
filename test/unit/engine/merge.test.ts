import t from 'tap'
import { mergeAsync } from '../../../src/engine/generation/merge.js'

t.test('mergeAsync() yields the items of every source as they come', async (t) => {
  async function* source(name: string, n: number) {
    for (let i = 0; i < n; i++) yield `${name}${i}`
  }
  const items: string[] = []
  for await (const item of mergeAsync([source('a', 2), source('b', 3)])) items.push(item)
  t.same(items.sort(), ['a0', 'a1', 'b0', 'b1', 'b2'])
})

t.test('mergeAsync(): a source failing while its read-ahead is abandoned is not an unhandled rejection', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => void process.off('unhandledRejection', onUnhandled))
  let fail: (error: Error) => void = () => {}
  async function* source() {
    yield 'first'
    await new Promise<void>((_, reject) => {
      fail = reject
    })
  }
  const merged = mergeAsync([source()])
  t.equal((await merged.next()).value, 'first')
  // the consumer stops here and never calls next() or return() again, as a stream nobody pumps
  fail(new Error('aborted'))
  await new Promise((resolve) => setImmediate(resolve)) // unhandled rejections are reported before the next turn
  t.same(unhandled, [])
  await t.rejects(merged.next(), /aborted/, 'a consumer that comes back still gets the error')
})
