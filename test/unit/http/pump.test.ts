import t from 'tap'
import { pump, type ByteSink } from '../../../src/http/pump.js'
import type { SseEvent } from '../../../src/http/sse.js'

/** A sink that buffers `capacity` bytes, then reports backpressure until the test drains it. */
class FakeSink implements ByteSink {
  aborted = false
  ended = false
  destroyed = false
  buffered = 0
  written: string[] = []
  #wake: (() => void) | null = null
  readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
  }
  write(chunk: Uint8Array): boolean {
    if (this.aborted) throw new Error('write after abort')
    this.written.push(new TextDecoder().decode(chunk))
    this.buffered += chunk.byteLength
    return this.buffered < this.capacity
  }
  drained(): Promise<void> {
    if (this.aborted || this.buffered < this.capacity) return Promise.resolve()
    return new Promise((resolve) => {
      this.#wake = resolve
    })
  }
  drain(): void {
    this.buffered = 0
    this.#wake?.()
    this.#wake = null
  }
  abort(): void {
    this.aborted = true
    this.#wake?.()
    this.#wake = null
  }
  end(): void {
    this.ended = true
  }
  destroy(): void {
    this.destroyed = true
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

function counter(limit: number) {
  const state = { yielded: 0, finalized: false }
  async function* events(): AsyncGenerator<SseEvent> {
    try {
      for (let i = 0; i < limit; i++) {
        state.yielded++
        yield { data: `event ${i}` }
      }
    } finally {
      state.finalized = true
    }
  }
  return { state, events: events() }
}

t.test('pump() writes every event and ends the sink', async (t) => {
  const sink = new FakeSink(Infinity)
  const { state, events } = counter(3)
  await pump(events, sink)
  t.same(sink.written, ['data: event 0\n\n', 'data: event 1\n\n', 'data: event 2\n\n'])
  t.ok(sink.ended)
  t.ok(state.finalized)
})

t.test('pump() stops pulling events while the sink is buffered', async (t) => {
  const sink = new FakeSink(40) // two 15-byte events fit, the third fills it
  const { state, events } = counter(100)
  const done = pump(events, sink)
  await tick()
  t.equal(state.yielded, 3, 'the producer waits at the third event')
  await tick()
  t.equal(state.yielded, 3, 'and stays there while nobody drains')
  sink.drain()
  await tick()
  t.equal(state.yielded, 6, 'one drain lets three more through')
  while (!sink.ended) {
    sink.drain()
    await tick()
  }
  await done
  t.equal(sink.written.length, 100)
})

t.test('pump() returns on abort and runs the producer finally', async (t) => {
  const sink = new FakeSink(40)
  const { state, events } = counter(100)
  const done = pump(events, sink)
  await tick()
  sink.abort()
  await done
  t.ok(state.finalized, 'the generator finally ran')
  t.equal(state.yielded, 3, 'no event was pulled after the abort')
  t.notOk(sink.ended)
})

t.test('pump() does not write an event that arrives after the abort', async (t) => {
  const sink = new FakeSink(Infinity)
  let finalized = false
  let release!: () => void
  async function* events(): AsyncGenerator<SseEvent> {
    try {
      yield { data: 'a' }
      await new Promise<void>((resolve) => {
        release = resolve
      })
      yield { data: 'b' }
      yield { data: 'c' }
    } finally {
      finalized = true
    }
  }
  const done = pump(events(), sink)
  await tick()
  sink.abort()
  release()
  await done
  t.same(sink.written, ['data: a\n\n'])
  t.ok(finalized)
})

t.test('pump() destroys the sink and rejects when the producer throws', async (t) => {
  const sink = new FakeSink(Infinity)
  async function* events(): AsyncGenerator<SseEvent> {
    yield { data: 'a' }
    throw new Error('engine died')
  }
  await t.rejects(pump(events(), sink), /engine died/)
  t.ok(sink.destroyed)
  t.notOk(sink.ended)
})
