import type { BatchError } from '../schemas/batches.js'

/** OpenAI's limits on a batch input file. */
export const MAX_BATCH_LINES = 50_000
export const MAX_BATCH_INPUT_BYTES = 200 * 1024 * 1024
/** Problems listed in `errors.data` at most; the message says when more were found. */
const MAX_LISTED_ERRORS = 1000

/** One request of a batch as its input line holds it. */
export type BatchLine = { line: number; custom_id: string; body: Record<string, unknown> }

/** The non-blank lines of a JSONL file with their 1-based line numbers, read as the bytes stream in. */
export async function* jsonlLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder()
  let pending = ''
  let line = 0
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true })
    let newline = pending.indexOf('\n')
    while (newline !== -1) {
      line++
      const text = pending.slice(0, newline).replace(/\r$/, '')
      if (text.trim() !== '') yield { line, text }
      pending = pending.slice(newline + 1)
      newline = pending.indexOf('\n')
    }
  }
  pending += decoder.decode()
  if (pending.trim() !== '') yield { line: line + 1, text: pending.replace(/\r$/, '') }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Parses one input line: the request, or what is wrong with it (the line's custom_id is checked for uniqueness by the caller). */
export function parseLine(text: string, line: number, endpoint: string): BatchLine | BatchError {
  const problem = (code: string, message: string, param: string | null = null): BatchError => ({
    code,
    message: `Line ${line}: ${message}`,
    param,
    line,
  })
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return problem('invalid_json', 'not valid JSON.')
  }
  if (!isObject(value)) return problem('invalid_request', 'not a JSON object.')
  const { custom_id: customId, method, url, body } = value
  if (typeof customId !== 'string' || customId.length === 0 || customId.length > 512)
    return problem('missing_custom_id', "'custom_id' must be a string of 1 to 512 characters.", 'custom_id')
  if (method !== 'POST') return problem('invalid_method', "'method' must be 'POST'.", 'method')
  if (url !== endpoint) return problem('mismatched_url', `'url' must be the batch's endpoint '${endpoint}'.`, 'url')
  if (!isObject(body)) return problem('missing_body', "'body' must be a JSON object.", 'body')
  if (body['stream'] === true)
    return problem('invalid_request', "'body.stream' cannot be true in a batch.", 'body.stream')
  if (body['background'] === true)
    return problem('invalid_request', "'body.background' cannot be true in a batch.", 'body.background')
  return { line, custom_id: customId, body }
}

/** What validating an input file found: its requests' count and model, or the problems that fail the batch. */
export type InputCheck = { total: number; model: string | null; errors: BatchError[] }

/** Checks every line of an input file: JSON, a unique custom_id, method POST, url = endpoint, a body, one model. */
export async function checkInput(chunks: AsyncIterable<Uint8Array>, endpoint: string): Promise<InputCheck> {
  const seen = new Set<string>()
  const errors: BatchError[] = []
  let found = 0
  let total = 0
  let model: string | null = null
  const add = (error: BatchError) => {
    found++
    if (errors.length < MAX_LISTED_ERRORS) errors.push(error)
  }
  for await (const { line, text } of jsonlLines(chunks)) {
    total++
    const parsed = parseLine(text, line, endpoint)
    if ('code' in parsed) {
      add(parsed)
      continue
    }
    if (seen.has(parsed.custom_id))
      add({
        code: 'duplicate_custom_id',
        message: `Line ${line}: 'custom_id' '${parsed.custom_id}' is used twice.`,
        param: 'custom_id',
        line,
      })
    seen.add(parsed.custom_id)
    const lineModel = typeof parsed.body['model'] === 'string' ? parsed.body['model'] : null
    if (lineModel !== null && model !== null && lineModel !== model)
      add({
        code: 'mismatched_model',
        message: `Line ${line}: every request of a batch must use one model.`,
        param: 'body.model',
        line,
      })
    model ??= lineModel
  }
  if (total === 0) add({ code: 'empty_file', message: 'The input file has no requests.', param: null, line: null })
  if (found > errors.length)
    errors.push({
      code: 'too_many_errors',
      message: `${found - errors.length} more problems not listed.`,
      param: null,
      line: null,
    })
  return { total, model, errors }
}
