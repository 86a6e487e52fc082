import t from 'tap'
import {
  choiceCount,
  completionLogprobsCount,
  formatBody,
  samplingBody,
  topLogprobsCount,
} from '../../../../src/engine/generation/params.js'
import type { SamplingParams } from '../../../../src/engine/types.js'

const N_VOCAB = 512

t.test('samplingBody() maps the sampling fields to llama.cpp names and leaves out what is not set', async (t) => {
  t.same(samplingBody({}, N_VOCAB, 0), { n_predict: -1 }, 'no limit by default')
  const body = samplingBody(
    {
      max_tokens: 12,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      min_p: 0.05,
      presence_penalty: -1,
      frequency_penalty: 1,
      repeat_penalty: 1.1,
      seed: 7,
      stop: ['\n', ''],
      logit_bias: { '3': -100, '511': 2 },
      grammar: 'root ::= "a"',
      ignore_eos: true,
      cache_prompt: false,
    },
    N_VOCAB,
    0,
  )
  t.same(body, {
    n_predict: 12,
    temperature: 0.5,
    top_p: 0.9,
    top_k: 40,
    min_p: 0.05,
    presence_penalty: -1,
    frequency_penalty: 1,
    repeat_penalty: 1.1,
    seed: 7,
    stop: ['\n'],
    logit_bias: [
      [3, -100],
      [511, 2],
    ],
    grammar: 'root ::= "a"',
    ignore_eos: true,
    cache_prompt: false,
  })
  t.same(samplingBody({ stop: 'END', temperature: null, seed: null }, N_VOCAB, 0), { n_predict: -1, stop: ['END'] })
})

t.test('samplingBody() gives each choice its own uint32 seed', async (t) => {
  t.equal(samplingBody({ seed: 5 }, N_VOCAB, 2).seed, 7)
  t.equal(samplingBody({ seed: -1 }, N_VOCAB, 0).seed, 2 ** 32 - 1, 'negative seeds wrap')
  t.equal(samplingBody({ seed: 2 ** 32 - 1 }, N_VOCAB, 1).seed, 0, 'and so do large ones')
})

t.test('samplingBody() refuses bad values, naming the field', async (t) => {
  const cases: [SamplingParams, string][] = [
    [{ max_tokens: -1 }, 'max_tokens'],
    [{ max_tokens: 1.5 }, 'max_tokens'],
    [{ temperature: 2.01 }, 'temperature'],
    [{ temperature: Number.NaN }, 'temperature'],
    [{ top_p: 1.1 }, 'top_p'],
    [{ top_k: -1 }, 'top_k'],
    [{ min_p: -0.1 }, 'min_p'],
    [{ presence_penalty: 2.5 }, 'presence_penalty'],
    [{ frequency_penalty: -2.5 }, 'frequency_penalty'],
    [{ repeat_penalty: 11 }, 'repeat_penalty'],
    [{ seed: 0.5 }, 'seed'],
    [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    [{ stop: [1] as never }, 'stop'],
    [{ logit_bias: { '512': 1 } }, 'logit_bias.512'],
    [{ logit_bias: { x: 1 } }, 'logit_bias.x'],
    [{ logit_bias: { '1': 101 } }, 'logit_bias.1'],
    [{ logit_bias: [] as never }, 'logit_bias'],
    [{ grammar: 3 as never }, 'grammar'],
    [{ temperature: '1' as never }, 'temperature'],
  ]
  for (const [params, param] of cases) {
    t.throws(() => samplingBody(params, N_VOCAB, 0), { code: 'invalid_request', param }, JSON.stringify(params))
  }
})

t.test('choiceCount(), topLogprobsCount() and completionLogprobsCount() default and check their ranges', async (t) => {
  t.equal(choiceCount(undefined), 1)
  t.equal(choiceCount(null), 1)
  t.equal(choiceCount(3), 3)
  t.throws(() => choiceCount(0), { code: 'invalid_request', param: 'n' }, 'n')
  t.throws(() => choiceCount(2.5), { code: 'invalid_request', param: 'n' }, 'n')
  t.equal(topLogprobsCount(undefined), 0)
  t.equal(topLogprobsCount(20), 20)
  t.throws(() => topLogprobsCount(21), { code: 'invalid_request', param: 'top_logprobs' }, 'top_logprobs')
  t.equal(completionLogprobsCount(null), null)
  t.equal(completionLogprobsCount(0), 0)
  t.throws(() => completionLogprobsCount(6), { code: 'invalid_request', param: 'logprobs' }, 'logprobs')
})

t.test('formatBody() maps response_format to a JSON schema and refuses it beside a grammar', async (t) => {
  t.same(formatBody(undefined, false), {})
  t.same(formatBody({ type: 'text' }, true), {})
  t.same(formatBody({ type: 'json_object' }, false), { json_schema: { type: 'object' } })
  const schema = { type: 'object', properties: { a: { type: 'string' } } }
  t.same(formatBody({ type: 'json_schema', json_schema: { name: 's', schema } }, false), { json_schema: schema })
  t.same(formatBody({ type: 'json_schema', json_schema: { name: 's' } }, false), { json_schema: { type: 'object' } })
  t.throws(
    () => formatBody({ type: 'json_object' }, true),
    { code: 'invalid_request', param: 'response_format' },
    'response_format',
  )
  t.throws(
    () => formatBody({ type: 'json_schema', json_schema: { name: 's', schema: [] as never } }, false),
    { code: 'invalid_request', param: 'response_format.json_schema.schema' },
    'a schema that is not an object',
  )
  t.throws(
    () => formatBody({ type: 'xml' } as never, false),
    { code: 'invalid_request', param: 'response_format.type' },
    'response_format.type',
  )
})
