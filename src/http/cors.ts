/** Headers a browser may send to the API: the SDK's own, plus whatever a preflight asks for. */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'openai-beta',
  'openai-organization',
  'openai-project',
  'x-request-id',
  'x-stainless-arch',
  'x-stainless-async',
  'x-stainless-lang',
  'x-stainless-os',
  'x-stainless-package-version',
  'x-stainless-retry-count',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-timeout',
  'x-stainless-helper-method',
  'x-stainless-poll-helper',
  'x-stainless-custom-poll-interval',
]
const EXPOSED_HEADERS = [
  'x-request-id, openai-poll-after-ms, openai-processing-ms, retry-after, retry-after-ms, x-should-retry',
  'x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens',
].join(', ')
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** CORS headers for every reply when an origin is configured. */
export function corsHeaders(origin: string): Record<string, string> {
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED_HEADERS,
  }
  if (origin !== '*') headers.vary = 'origin'
  return headers
}

/** Headers of the 204 answer to a preflight `OPTIONS`; `requested` is its `access-control-request-headers`. */
export function preflightHeaders(origin: string, requested: string | undefined): Record<string, string> {
  const allowed = new Set(ALLOWED_HEADERS)
  // Reflect what the browser asks for (every x-stainless-* the SDK adds), keeping only well-formed names
  for (const name of (requested ?? '').split(',')) {
    const trimmed = name.trim().toLowerCase()
    if (TOKEN.test(trimmed)) allowed.add(trimmed)
  }
  return {
    ...corsHeaders(origin),
    'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
    'access-control-allow-headers': [...allowed].join(', '),
    'access-control-max-age': '86400',
  }
}
