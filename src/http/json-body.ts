import { BadRequestError } from './errors.js'
import { checkSafeJson } from './safe-json.js'

const HINT =
  "(HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, " +
  'but what was sent was not valid JSON.)'
const decoder = new TextDecoder('utf-8', { fatal: true })

function isJsonType(contentType: string): boolean {
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? ''
  return mediaType === 'application/json'
}

/**
 * Parses a request body as JSON for a route that declares a body schema: the content type must be
 * `application/json` (any charset), the body must be present and parse, and hold no text `checkSafeJson()`
 * refuses; each failure is its own 400.
 */
export function parseJsonBody(body: Uint8Array | null, contentType: string | undefined): unknown {
  if (body === null || body.byteLength === 0) {
    throw new BadRequestError(`We could not parse the JSON body of your request. ${HINT}`)
  }
  if (contentType === undefined || !isJsonType(contentType)) {
    const sent = contentType === undefined ? 'no Content-Type header' : `the header 'Content-Type: ${contentType}'`
    throw new BadRequestError(
      `Unsupported content type: '${contentType ?? ''}'. This API method only accepts 'application/json' requests, ` +
        `but you specified ${sent}. Please try again with a supported content type.`,
      { code: 'unsupported_content_type' },
    )
  }
  let text: string
  try {
    text = decoder.decode(body)
  } catch {
    throw new BadRequestError(`We could not parse the JSON body of your request: it is not valid UTF-8. ${HINT}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new BadRequestError(`We could not parse the JSON body of your request (${reason}). ${HINT}`)
  }
  checkSafeJson(parsed, text) // for every route: NUL, unpaired surrogates and deep nesting never get past here
  return parsed
}
