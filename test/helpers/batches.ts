import type OpenAI from 'openai'
import type { Test } from 'tap'
import { toFile } from 'openai'
import { pollUntil } from './poll.js'

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

/** Uploads `count` chat lines (custom ids `<prefix>0`, `<prefix>1`, ...) and creates a chat completions batch. */
export async function createChatBatch(client: OpenAI, count: number, prefix: string, maxTokens: number) {
  const customIds = Array.from({ length: count }, (_, i) => `${prefix}${i}`)
  const input = await uploadBatchInput(
    client,
    customIds.map((id) => chatLine(id, { max_tokens: maxTokens })),
  )
  const batch = await client.batches.create({
    input_file_id: input.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  })
  return { batch, customIds }
}

/** Polls a batch until `done` holds for it. */
export function waitForBatch(
  client: OpenAI,
  id: string,
  done: (batch: OpenAI.Batches.Batch) => boolean,
  timeoutMs = 300_000,
): Promise<OpenAI.Batches.Batch> {
  return pollUntil(
    () => client.batches.retrieve(id),
    done,
    timeoutMs,
    (batch) => `Batch ${id} never reached the awaited state: ${JSON.stringify(batch)}`,
  )
}

/** Terminal batch statuses. */
export const FINISHED = new Set(['completed', 'failed', 'expired', 'cancelled'])

/**
 * Waits for a batch to finish and checks that it completed every line with no error file and each of `customIds`
 * exactly once in its output; returns the batch and its output lines.
 */
export async function expectEveryLineOnce(t: Test, client: OpenAI, id: string, customIds: readonly string[]) {
  const batch = await waitForBatch(client, id, (b) => FINISHED.has(b.status))
  const total = customIds.length
  t.match(batch, { status: 'completed', request_counts: { total, completed: total, failed: 0 } })
  t.notOk(batch.error_file_id)
  const output = await fileLines(client, batch.output_file_id ?? '')
  const ids = output.map((line) => String(line['custom_id'])).sort()
  t.same(ids, [...customIds].sort(), 'every custom_id exactly once')
  return { batch, output }
}

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
