import t from 'tap'
import { chatCompletion } from '../../../src/engine/generation/chat.js'
import { collectGeneration } from '../../../src/engine/generation/collect.js'
import { textCompletion } from '../../../src/engine/generation/completion.js'
import { EngineError } from '../../../src/engine/errors.js'
import { startTestEngine } from '../../helpers/engine.js'

const opts = {}
const long = { prompt: 'Once upon a time', max_tokens: 1500, temperature: 0, ignore_eos: true }

t.test('aborting mid-stream frees the slot so the next request starts at once', async (t) => {
  const engine = await startTestEngine({ parallel: 1 })
  t.teardown(() => engine.close())
  const controller = new AbortController()
  let chunks = 0
  let afterAbort = 0
  await t.rejects(
    async () => {
      for await (const event of textCompletion(engine, long, { ...opts, signal: controller.signal })) {
        if (controller.signal.aborted) afterAbort++
        else if (event.type === 'text' && event.text && ++chunks === 5) controller.abort()
      }
    },
    { code: 'aborted' },
  )
  t.ok(afterAbort <= 1, `at most the token already decoded arrives after the abort (${afterAbort})`)
  t.equal(engine.stats.active, 0, 'the slot is free')
  const started = performance.now()
  const next = await collectGeneration(
    textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 3, temperature: 0 }, opts),
  )
  t.equal(next.choices[0]?.text, ', there was', 'the next request runs normally')
  t.ok(performance.now() - started < 2000, 'and without waiting for the aborted one')
})

t.test('breaking out of a stream (the consumer returns) cancels the engine request', async (t) => {
  const engine = await startTestEngine({ parallel: 1 })
  t.teardown(() => engine.close())
  for await (const event of chatCompletion(
    engine,
    { messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1000, ignore_eos: true },
    opts,
  )) {
    if (event.type === 'text' && event.text) break
  }
  t.equal(engine.stats.active, 0)
  const next = await collectGeneration(textCompletion(engine, { prompt: 'Once', max_tokens: 2, temperature: 0 }, opts))
  t.equal(next.usage.completion_tokens, 2)
})

t.test('past the slots and the queue bound, a request fails at once as busy', async (t) => {
  const engine = await startTestEngine({ parallel: 1, queueSize: 1 })
  t.teardown(() => engine.close())
  const controller = new AbortController()
  const running = collectGeneration(textCompletion(engine, long, { ...opts, signal: controller.signal })).catch(
    (e: Error) => e,
  )
  const queued = collectGeneration(textCompletion(engine, { prompt: 'Once', max_tokens: 2 }, opts))
  await new Promise((r) => setTimeout(r, 100))
  t.equal(engine.stats.queued, 1)
  await t.rejects(collectGeneration(textCompletion(engine, { prompt: 'Once', max_tokens: 2 }, opts)), { code: 'busy' })
  controller.abort()
  t.match(await running, { code: 'aborted' })
  t.equal((await queued).usage.completion_tokens, 2, 'the queued request ran after the slot freed')
})

t.test('a request the engine rejects fails alone; the engine keeps serving', async (t) => {
  const engine = await startTestEngine()
  t.teardown(() => engine.close())
  // an out-of-vocabulary token in a grammar-free bias passes our checks only as a number; send a bad grammar instead
  await t.rejects(
    collectGeneration(textCompletion(engine, { prompt: 'Hi', grammar: 'root ::= (', max_tokens: 2 }, opts)),
    EngineError,
  )
  const ok = await collectGeneration(textCompletion(engine, { prompt: 'Once', max_tokens: 2, temperature: 0 }, opts))
  t.equal(ok.usage.completion_tokens, 2)
  t.equal(engine.stats.restarts, 0, 'no restart was needed')
})

t.test('bad arguments are refused before the engine, naming the field', async (t) => {
  const engine = await startTestEngine()
  t.teardown(() => engine.close())
  const bad = (extra: object) => collectGeneration(textCompletion(engine, { prompt: 'Hi', ...extra } as never, opts))
  await t.rejects(bad({ temperature: 'hot' }), { code: 'invalid_request', param: 'temperature' })
  await t.rejects(bad({ max_tokens: -1 }), { code: 'invalid_request', param: 'max_tokens' })
  await t.rejects(bad({ logit_bias: { 99999: 1 } }), { code: 'invalid_request', param: 'logit_bias.99999' })
  await t.rejects(bad({ stop: [1] }), { code: 'invalid_request', param: 'stop' })
  await t.rejects(bad({ n: 0 }), { code: 'invalid_request', param: 'n' })
  await t.rejects(collectGeneration(textCompletion(engine, { prompt: 42 } as never, opts)), {
    code: 'invalid_request',
    param: 'prompt',
  })
})

t.test('a real engine abort fails the request in flight and the engine restarts by itself', async (t) => {
  const engine = await startTestEngine({ abortOnFirstResult: true })
  t.teardown(() => engine.close())
  await t.rejects(collectGeneration(textCompletion(engine, { prompt: 'Once', max_tokens: 3 }, opts)), {
    code: 'crashed',
  })
  await engine.whenReady()
  t.equal(engine.stats.restarts, 1)
  t.equal(engine.stats.state, 'ready')
  const ok = await collectGeneration(
    textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 3, temperature: 0 }, opts),
  )
  t.equal(ok.choices[0]?.text, ', there was', 'the same model serves again')
})

t.test('requests queued while the engine restarts run once it is back', async (t) => {
  const engine = await startTestEngine({ restartDelayMs: [300, 1000] })
  t.teardown(() => engine.close())
  const inFlight = collectGeneration(textCompletion(engine, long, opts)).catch((e: Error) => e)
  await new Promise((r) => setTimeout(r, 100))
  await engine.simulateCrash()
  t.match(await inFlight, { code: 'crashed' }, 'the in-flight request fails with a clear error')
  t.equal(engine.stats.state, 'restarting')
  const waiting = collectGeneration(
    textCompletion(engine, { prompt: 'Once upon a time', max_tokens: 3, temperature: 0 }, opts),
  )
  t.equal((await waiting).choices[0]?.text, ', there was')
  t.equal(engine.stats.restarts, 1)
})
