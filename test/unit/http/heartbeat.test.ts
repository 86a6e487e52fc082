import t from 'tap'
import { withHeartbeat } from '../../../src/http/heartbeat.js'
import type { SseEvent } from '../../../src/http/sse.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function collect(events: AsyncIterable<SseEvent>): Promise<SseEvent[]> {
  const out: SseEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

t.test('withHeartbeat() adds ping comments while the source is idle', async (t) => {
  async function* slow(): AsyncGenerator<SseEvent> {
    yield { data: 'first' }
    await sleep(200)
    yield { data: 'second' }
  }
  const events = await collect(withHeartbeat(slow(), 50))
  t.same(events[0], { data: 'first' })
  t.same(events.at(-1), { data: 'second' })
  const pings = events.filter((e) => 'comment' in e)
  // 3 expected (50, 100, 150 ms); timers on a loaded machine only fire late, which means fewer
  t.ok(pings.length >= 1 && pings.length <= 4, `about 3 pings in 200 ms at 50 ms, got ${pings.length}`)
  t.ok(pings.every((p) => 'comment' in p && p.comment === 'ping'))
})

t.test('withHeartbeat() adds nothing while the source is busy', async (t) => {
  async function* busy(): AsyncGenerator<SseEvent> {
    for (let i = 0; i < 10; i++) {
      await sleep(10)
      yield { data: String(i) }
    }
  }
  const events = await collect(withHeartbeat(busy(), 250))
  t.same(
    events.map((e) => ('data' in e ? e.data : 'ping')),
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  )
})

t.test('withHeartbeat() with a zero interval passes events through', async (t) => {
  async function* source(): AsyncGenerator<SseEvent> {
    await sleep(30)
    yield { data: 'x' }
  }
  t.same(await collect(withHeartbeat(source(), 0)), [{ data: 'x' }])
})

t.test('withHeartbeat() runs the source finally when the consumer stops', async (t) => {
  let finalized = false
  async function* source(): AsyncGenerator<SseEvent> {
    try {
      for (let i = 0; ; i++) yield { data: String(i) }
    } finally {
      finalized = true
    }
  }
  for await (const event of withHeartbeat(source(), 1000)) if ('data' in event && event.data === '3') break
  t.ok(finalized)
})

t.test('withHeartbeat() passes a source error on', async (t) => {
  async function* failing(): AsyncGenerator<SseEvent> {
    yield { data: 'x' }
    throw new Error('boom')
  }
  await t.rejects(collect(withHeartbeat(failing(), 1000)), /boom/)
})
