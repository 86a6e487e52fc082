const SANE_REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/

/**
 * Makes the request-id picker of one app: the client's `x-request-id` when it is a sane token, else `req_` and 32
 * hex digits: a random per-app prefix of 20 and a counter of 12, unique without a random draw per request.
 */
export function createRequestIds(): (fromClient: string | undefined) => string {
  const random = crypto.getRandomValues(new Uint8Array(10))
  const prefix = `req_${Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
  let counter = 0
  return (fromClient) => {
    if (fromClient !== undefined && SANE_REQUEST_ID.test(fromClient)) return fromClient
    counter++
    return prefix + counter.toString(16).padStart(12, '0')
  }
}
