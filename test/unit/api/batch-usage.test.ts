import t from 'tap'
import { usageOf } from '../../../src/api/batch-usage.js'

t.test('usageOf() reads chat, completions and embeddings usage as a batch counts it', async (t) => {
  t.same(
    usageOf({
      usage: {
        prompt_tokens: 7,
        completion_tokens: 5,
        total_tokens: 12,
        prompt_tokens_details: { cached_tokens: 3 },
        completion_tokens_details: { reasoning_tokens: 1 },
      },
    }),
    {
      input_tokens: 7,
      input_tokens_details: { cached_tokens: 3 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 12,
    },
  )
  t.match(usageOf({ usage: { prompt_tokens: 4, total_tokens: 4 } }), {
    input_tokens: 4,
    output_tokens: 0,
    total_tokens: 4,
  })
})

t.test('usageOf() reads Responses usage', async (t) => {
  const usage = {
    input_tokens: 9,
    input_tokens_details: { cached_tokens: 2 },
    output_tokens: 6,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 15,
  }
  t.same(usageOf({ object: 'response', usage }), usage)
})

t.test('usageOf() gives null without usage and ignores junk counts', async (t) => {
  t.equal(usageOf({ object: 'list' }), null)
  t.equal(usageOf(null), null)
  t.match(usageOf({ usage: { prompt_tokens: -3, completion_tokens: 'x' } }), { input_tokens: 0, total_tokens: 0 })
})
