import http from 'node:http'
import https from 'node:https'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

/** Options for httpRequest(). */
export type HttpRequestOptions = {
  method?: 'GET' | 'HEAD'
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Socket idle time before the request fails, also while the body streams (default 30000). */
  timeoutMs?: number
  maxRedirects?: number
}

/** A response whose headers have arrived; `body` must be consumed or destroyed. */
export type HttpResponse = {
  status: number
  headers: IncomingHttpHeaders
  /** The URL that answered, after redirects. */
  url: string
  body: IncomingMessage
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** Sends a GET or HEAD with node:http(s), following redirects; resolves once headers arrive. */
export async function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const maxRedirects = options.maxRedirects ?? 10
  let current = new URL(url)
  let headers = { ...options.headers }
  for (let hop = 0; ; hop++) {
    const response = await requestOnce(current, headers, options)
    const location = response.headers.location
    if (!REDIRECTS.has(response.status) || location === undefined) return response
    response.body.resume() // drain the redirect body so the socket can be reused
    if (hop >= maxRedirects) {
      throw new Error(`Cannot fetch ${url}: more than ${maxRedirects} redirects`)
    }
    const next = new URL(location, current)
    // Credentials go only to the origin they were given for: HF redirects to a signed CDN URL
    if (next.origin !== current.origin) headers = withoutAuthorization(headers)
    current = next
  }
}

function requestOnce(url: URL, headers: Record<string, string>, options: HttpRequestOptions): Promise<HttpResponse> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new Error(`Cannot fetch ${url.href}: unsupported protocol ${url.protocol}`))
  }
  const client = url.protocol === 'https:' ? https : http
  const timeoutMs = options.timeoutMs ?? 30_000
  return new Promise((resolve, reject) => {
    const request = client.request(url, {
      method: options.method ?? 'GET',
      headers: { 'user-agent': 'oxillama-server', ...headers },
      signal: options.signal,
    })
    request.setTimeout(timeoutMs, () => {
      request.destroy(new Error(`Cannot fetch ${url.href}: no data for ${timeoutMs} ms`))
    })
    request.on('error', reject) // after the response, body errors report it instead
    request.once('response', (body) => {
      resolve({ status: body.statusCode ?? 0, headers: body.headers, url: url.href, body })
    })
    request.end()
  })
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'authorization' && name.toLowerCase() !== 'cookie') kept[name] = value
  }
  return kept
}
