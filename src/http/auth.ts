import { AuthenticationError } from './errors.js'

const encoder = new TextEncoder()

/** Compares in time that depends only on the presented value's length, never on where it differs. */
function sameBytes(presented: Uint8Array, expected: Uint8Array): boolean {
  let diff = presented.length ^ expected.length
  for (let i = 0; i < presented.length; i++)
    diff |= (presented[i] ?? 0) ^ (expected[i % Math.max(expected.length, 1)] ?? 0)
  return diff === 0
}

/** A key as logs and error messages show it: `sk-...abcd`; a key under 12 characters shows nothing. */
export function maskKey(key: string): string {
  return key.length < 12 ? '***' : `${key.slice(0, 3)}...${key.slice(-4)}`
}

/** The configured key a request presented: the key itself (the rate limiter's identity) and its masked form. */
export type ApiKeyMatch = { readonly key: string; readonly masked: string }

/** Builds the bearer-key check; it returns the matched key or throws a 401 AuthenticationError (`invalid_api_key`). */
export function createApiKeyCheck(keys: readonly string[]): (authorization: string | undefined) => ApiKeyMatch {
  const expected = keys.map((key) => ({ bytes: encoder.encode(key), match: { key, masked: maskKey(key) } }))
  return (authorization) => {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1]
    if (token === undefined) {
      throw new AuthenticationError(
        "You didn't provide an API key. You need to provide your API key in an Authorization header " +
          'using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).',
      )
    }
    const presented = encoder.encode(token)
    let found: ApiKeyMatch | null = null
    // no early exit: every key is compared, so the time does not tell which one (or whether one) matched
    for (const key of expected) if (sameBytes(presented, key.bytes)) found = key.match
    if (!found) throw new AuthenticationError(`Incorrect API key provided: ${maskKey(token)}.`)
    return found
  }
}
