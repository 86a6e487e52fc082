/** Sends a JSON body with fetch (no SDK), optionally with a bearer key. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
}

/** The `data:` payloads of an SSE reply, in order (comments and other fields dropped, multi-line data joined). */
export async function readSseData(response: Response): Promise<string[]> {
  const text = await response.text()
  const payloads: string[] = []
  for (const block of text.split(/\r?\n\r?\n/)) {
    const lines = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
    if (lines.length > 0) payloads.push(lines.join('\n'))
  }
  return payloads
}
