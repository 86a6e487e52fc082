import type { BatchUsage } from '../schemas/batches.js'

type Counts = Record<string, unknown>

function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0
}

function details(value: unknown): Counts {
  return typeof value === 'object' && value !== null ? (value as Counts) : {}
}

/**
 * The tokens a successful request used, from its reply body: `usage` as Responses writes it (`input_tokens`,
 * `output_tokens`) or as chat, completions and embeddings write it (`prompt_tokens`, `completion_tokens`); null
 * when the body has none.
 */
export function usageOf(body: unknown): BatchUsage | null {
  const usage = details(details(body)['usage'])
  if (Object.keys(usage).length === 0) return null
  const responses = 'input_tokens' in usage
  const input = count(responses ? usage['input_tokens'] : usage['prompt_tokens'])
  const output = count(responses ? usage['output_tokens'] : usage['completion_tokens'])
  const inputDetails = details(responses ? usage['input_tokens_details'] : usage['prompt_tokens_details'])
  const outputDetails = details(responses ? usage['output_tokens_details'] : usage['completion_tokens_details'])
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: count(inputDetails['cached_tokens']) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(outputDetails['reasoning_tokens']) },
    total_tokens: count(usage['total_tokens']) || input + output,
  }
}

/** Usage before any request has finished. */
export const NO_USAGE: BatchUsage = {
  input_tokens: 0,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 0,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 0,
}
