import type OpenAI from 'openai'
import { toFile } from 'openai'

/** One chat request line of a batch input file. */
export function chatLine(customId: string, body: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'stories260K', messages: [{ role: 'user', content: `Tell ${customId}` }], max_tokens: 8, ...body },
  }
}

/** Uploads JSONL lines (objects are serialized, strings sent as they are) as a `batch` file. */
export async function uploadBatchInput(client: OpenAI, lines: Array<Record<string, unknown> | string>) {
  const text = lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n'
  return client.files.create({ file: await toFile(Buffer.from(text), 'input.jsonl'), purpose: 'batch' })
}

/** Polls a batch until `done` holds for it (state waits, not timed sleeps: each poll is 25 ms apart). */
export async function waitForBatch(
  client: OpenAI,
  id: string,
  done: (batch: OpenAI.Batches.Batch) => boolean,
  timeoutMs = 300_000,
): Promise<OpenAI.Batches.Batch> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const batch = await client.batches.retrieve(id)
    if (done(batch)) return batch
    if (Date.now() > deadline) throw new Error(`Batch ${id} never reached the awaited state: ${JSON.stringify(batch)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Terminal batch statuses. */
export const FINISHED = new Set(['completed', 'failed', 'expired', 'cancelled'])

/** The JSONL lines of a file, parsed. */
export async function fileLines(client: OpenAI, id: string): Promise<Array<Record<string, any>>> {
  const text = await (await client.files.content(id)).text()
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, any>)
}

/** The usage a batch should report for these output lines: chat or Responses usage, summed as Batch.usage. */
export function usageSum(output: Array<Record<string, any>>): OpenAI.Batches.BatchUsage {
  const sum = { input: 0, cached: 0, output: 0, reasoning: 0, total: 0 }
  for (const line of output) {
    const usage = line['response']?.body?.usage ?? {}
    sum.input += usage.input_tokens ?? usage.prompt_tokens ?? 0
    sum.output += usage.output_tokens ?? usage.completion_tokens ?? 0
    sum.total += usage.total_tokens ?? 0
    sum.cached += (usage.input_tokens_details ?? usage.prompt_tokens_details)?.cached_tokens ?? 0
    sum.reasoning += (usage.output_tokens_details ?? usage.completion_tokens_details)?.reasoning_tokens ?? 0
  }
  return {
    input_tokens: sum.input,
    input_tokens_details: { cached_tokens: sum.cached },
    output_tokens: sum.output,
    output_tokens_details: { reasoning_tokens: sum.reasoning },
    total_tokens: sum.total,
  }
}
