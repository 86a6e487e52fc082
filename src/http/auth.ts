import { AuthenticationError } from './errors.js'

const encoder = new TextEncoder()

/** Compares in time that depends only on the presented value's length, never on where it differs. */
function sameBytes(presented: Uint8Array, expected: Uint8Array): boolean {
  let diff = presented.length ^ expected.length
  for (let i = 0; i < presented.length; i++)
    diff |= (presented[i] ?? 0) ^ (expected[i % Math.max(expected.length, 1)] ?? 0)
  return diff === 0
}

function mask(key: string): string {
  return key.length <= 8 ? '***' : `${key.slice(0, 3)}***${key.slice(-2)}`
}

/** Builds the bearer-key check for `/v1` paths; it throws a 401 AuthenticationError (`invalid_api_key`). */
export function createApiKeyCheck(keys: readonly string[]): (authorization: string | undefined) => void {
  const expected = keys.map((key) => encoder.encode(key))
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    const token = match?.[1]
    if (token === undefined) {
      throw new AuthenticationError(
        "You didn't provide an API key. You need to provide your API key in an Authorization header " +
          'using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).',
      )
    }
    const presented = encoder.encode(token)
    let ok = false
    for (const key of expected) ok = sameBytes(presented, key) || ok // no early exit: every key is compared
    if (!ok) throw new AuthenticationError(`Incorrect API key provided: ${mask(token)}.`)
  }
}
