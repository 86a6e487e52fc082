import t from 'tap'
import { Compile } from 'typebox/compile'
import {
  choiceCount,
  completionLogprobsCount,
  samplingBody,
  topLogprobsCount,
} from '../../../src/engine/generation/params.js'
import type { SamplingParams } from '../../../src/engine/types.js'
import {
  LOGIT_BIAS_LIMIT,
  MAX_CHOICES,
  MAX_COMPLETION_LOGPROBS,
  MAX_REPEAT_PENALTY,
  MAX_SEED,
  MAX_STOP_SEQUENCES,
  MAX_TEMPERATURE,
  MAX_TOKEN_COUNT,
  MAX_TOP_LOGPROBS,
  PENALTY_LIMIT,
} from '../../../src/limits/limits.js'
import { ChatCompletionCreateParams } from '../../../src/schemas/chat.js'
import { CompletionCreateParams } from '../../../src/schemas/completions.js'

// The wire schemas and the engine must agree on every bound: a value at the bound passes both, a value past it
// fails both. Each row: the request field, the limit's edge values, and the engine check of that field.
const chat = Compile(ChatCompletionCreateParams)
const completion = Compile(CompletionCreateParams)
const chatBase = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }
const completionBase = { model: 'm', prompt: 'hi' }

function engineAccepts(check: () => unknown): boolean {
  try {
    check()
    return true
  } catch {
    return false
  }
}

const sampling = (params: SamplingParams) => () => samplingBody(params, MAX_TOKEN_COUNT, 0)
const stops = (count: number) => Array.from({ length: count }, (_, i) => `s${i}`)

const rows: { field: string; inside: unknown[]; outside: unknown[]; engine: (value: never) => () => unknown }[] = [
  { field: 'n', inside: [1, MAX_CHOICES], outside: [0, MAX_CHOICES + 1], engine: (n) => () => choiceCount(n) },
  {
    field: 'stop',
    inside: [stops(MAX_STOP_SEQUENCES)],
    outside: [stops(MAX_STOP_SEQUENCES + 1)],
    engine: (stop) => sampling({ stop }),
  },
  {
    field: 'logit_bias',
    inside: [{ '1': LOGIT_BIAS_LIMIT }, { '1': -LOGIT_BIAS_LIMIT }],
    outside: [{ '1': LOGIT_BIAS_LIMIT + 0.5 }, { '1': -LOGIT_BIAS_LIMIT - 0.5 }],
    engine: (logit_bias) => sampling({ logit_bias }),
  },
  {
    field: 'temperature',
    inside: [0, MAX_TEMPERATURE],
    outside: [-0.1, MAX_TEMPERATURE + 0.1],
    engine: (temperature) => sampling({ temperature }),
  },
  {
    field: 'presence_penalty',
    inside: [-PENALTY_LIMIT, PENALTY_LIMIT],
    outside: [-PENALTY_LIMIT - 0.1, PENALTY_LIMIT + 0.1],
    engine: (presence_penalty) => sampling({ presence_penalty }),
  },
  {
    field: 'frequency_penalty',
    inside: [-PENALTY_LIMIT, PENALTY_LIMIT],
    outside: [-PENALTY_LIMIT - 0.1, PENALTY_LIMIT + 0.1],
    engine: (frequency_penalty) => sampling({ frequency_penalty }),
  },
  {
    field: 'repeat_penalty',
    inside: [0, MAX_REPEAT_PENALTY],
    outside: [-0.1, MAX_REPEAT_PENALTY + 0.1],
    engine: (repeat_penalty) => sampling({ repeat_penalty }),
  },
  {
    field: 'top_p',
    inside: [0, 1],
    outside: [-0.1, 1.1],
    engine: (top_p) => sampling({ top_p }),
  },
  {
    field: 'min_p',
    inside: [0, 1],
    outside: [-0.1, 1.1],
    engine: (min_p) => sampling({ min_p }),
  },
  {
    field: 'top_k',
    inside: [0, MAX_TOKEN_COUNT],
    outside: [-1, MAX_TOKEN_COUNT + 1],
    engine: (top_k) => sampling({ top_k }),
  },
  {
    field: 'seed',
    inside: [-MAX_SEED, MAX_SEED],
    outside: [-MAX_SEED - 2, MAX_SEED + 2],
    engine: (seed) => sampling({ seed }),
  },
]

t.test('chat and completion schemas and the engine agree on the sampling bounds', async (t) => {
  for (const { field, inside, outside, engine } of rows) {
    for (const value of inside) {
      const label = `${field} ${JSON.stringify(value)}`
      t.ok(chat.Check({ ...chatBase, [field]: value }), `chat schema accepts ${label}`)
      t.ok(completion.Check({ ...completionBase, [field]: value }), `completion schema accepts ${label}`)
      t.ok(engineAccepts(engine(value as never)), `engine accepts ${label}`)
    }
    for (const value of outside) {
      const label = `${field} ${JSON.stringify(value)}`
      t.notOk(chat.Check({ ...chatBase, [field]: value }), `chat schema refuses ${label}`)
      t.notOk(completion.Check({ ...completionBase, [field]: value }), `completion schema refuses ${label}`)
      t.notOk(engineAccepts(engine(value as never)), `engine refuses ${label}`)
    }
  }
})

t.test('the token limits agree: chat max_completion_tokens, completion max_tokens and the engine', async (t) => {
  t.ok(chat.Check({ ...chatBase, max_completion_tokens: MAX_TOKEN_COUNT }))
  t.notOk(chat.Check({ ...chatBase, max_completion_tokens: MAX_TOKEN_COUNT + 1 }))
  t.ok(completion.Check({ ...completionBase, max_tokens: MAX_TOKEN_COUNT }))
  t.notOk(completion.Check({ ...completionBase, max_tokens: MAX_TOKEN_COUNT + 1 }))
  t.ok(engineAccepts(sampling({ max_tokens: MAX_TOKEN_COUNT })))
  t.notOk(engineAccepts(sampling({ max_tokens: MAX_TOKEN_COUNT + 1 })))
})

t.test('the logprobs limits agree: chat top_logprobs and completion logprobs', async (t) => {
  t.ok(chat.Check({ ...chatBase, logprobs: true, top_logprobs: MAX_TOP_LOGPROBS }))
  t.notOk(chat.Check({ ...chatBase, logprobs: true, top_logprobs: MAX_TOP_LOGPROBS + 1 }))
  t.equal(topLogprobsCount(MAX_TOP_LOGPROBS), MAX_TOP_LOGPROBS)
  t.throws(() => topLogprobsCount(MAX_TOP_LOGPROBS + 1))
  t.ok(completion.Check({ ...completionBase, logprobs: MAX_COMPLETION_LOGPROBS }))
  t.notOk(completion.Check({ ...completionBase, logprobs: MAX_COMPLETION_LOGPROBS + 1 }))
  t.equal(completionLogprobsCount(MAX_COMPLETION_LOGPROBS), MAX_COMPLETION_LOGPROBS)
  t.throws(() => completionLogprobsCount(MAX_COMPLETION_LOGPROBS + 1))
})
