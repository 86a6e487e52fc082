/** One server-sent event, or a `:` comment line that clients skip (heartbeats). */
export type SseEvent = { event?: string; data: string; id?: string; retry?: number } | { comment: string }

const encoder = new TextEncoder()
const LINE_BREAK = /\r\n|\r|\n/

function checkField(name: string, value: string): void {
  // A line break in `event` or `id` would start a new field and let data forge events
  if (/[\r\n]/.test(value)) throw new TypeError(`Cannot encode SSE ${name}: it contains a line break`)
}

/** Formats one SSE event as text: `data` split on line breaks into `data:` lines, ended by a blank line. */
export function formatSse(event: SseEvent): string {
  if ('comment' in event)
    return (
      event.comment
        .split(LINE_BREAK)
        .map((line) => `: ${line}\n`)
        .join('') + '\n'
    )
  let out = ''
  if (event.event !== undefined) {
    checkField('event', event.event)
    out += `event: ${event.event}\n`
  }
  if (event.id !== undefined) {
    checkField('id', event.id)
    out += `id: ${event.id}\n`
  }
  if (event.retry !== undefined) {
    if (!Number.isInteger(event.retry) || event.retry < 0)
      throw new TypeError('Cannot encode SSE retry: not a non-negative integer')
    out += `retry: ${event.retry}\n`
  }
  for (const line of event.data.split(LINE_BREAK)) out += `data: ${line}\n`
  return out + '\n'
}

/** Encodes one SSE event as UTF-8. */
export function encodeSse(event: SseEvent): Uint8Array {
  return encoder.encode(formatSse(event))
}
