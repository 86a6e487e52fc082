import t from 'tap'
import { BodyStream, clientGone } from '../../../src/http/body-stream.js'

const MiB = 1 << 20

t.test('BodyStream asks the transport to pause past 1 MiB buffered and to resume once read down', async (t) => {
  const stream = new BodyStream()
  let resumed = 0
  stream.onDrain = () => {
    resumed++
  }
  t.equal(stream.push(new Uint8Array(MiB / 2)), true)
  t.equal(stream.push(new Uint8Array(MiB / 2)), false, 'past the high-water mark: pause')
  const reader = stream[Symbol.asyncIterator]()
  await reader.next()
  t.equal(resumed, 1, 'reading below half the mark resumes the transport')
  stream.push(new Uint8Array([1, 2, 3]))
  stream.end()
  t.equal((await reader.next()).value?.byteLength, MiB / 2)
  t.same([...((await reader.next()).value ?? [])], [1, 2, 3])
  t.equal((await reader.next()).done, true)
  t.equal(stream.complete, true)
  t.equal(stream.received, MiB + 3)
})

t.test('BodyStream hands chunks to a waiting reader and rejects it when the client goes', async (t) => {
  const stream = new BodyStream()
  const reader = stream[Symbol.asyncIterator]()
  const first = reader.next()
  stream.push(new Uint8Array([7]))
  t.same([...((await first).value ?? [])], [7])
  const second = reader.next()
  stream.fail(clientGone())
  await t.rejects(second, { status: 400, code: 'request_aborted' })
  t.equal(stream.complete, false)
})

t.test('BodyStream discards the rest when the reader stops early', async (t) => {
  const stream = new BodyStream()
  let resumed = 0
  stream.onDrain = () => {
    resumed++
  }
  stream.push(new Uint8Array(MiB))
  for await (const chunk of stream) {
    t.equal(chunk.byteLength, MiB)
    break
  }
  t.equal(stream.push(new Uint8Array(2 * MiB)), true, 'a stopped reader never pauses the transport')
  t.ok(resumed >= 1)
})
