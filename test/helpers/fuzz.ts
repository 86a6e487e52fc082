import http from 'node:http'

/** A small deterministic PRNG (mulberry32): the same seed gives the same requests on every run. */
export type Random = {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  pick<T>(items: readonly T[]): T
}

/** A seeded Random. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => {
      const item = items[int(items.length)]
      if (item === undefined && items.length === 0) throw new Error('Cannot pick from an empty list')
      return item as T
    },
  }
}

const LONG = 5000

function nested(depth: number): unknown {
  let value: unknown = 'bottom\u0000'
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value }
  return value
}

/** Strings a field may carry that the store or engine could choke on: NUL, lone surrogates, huge ids. */
export const JUNK_STRINGS: readonly string[] = [
  '',
  '\u0000',
  'a\u0000b',
  'asst_\u0000',
  'thread_abc\u0000',
  '\ud800',
  'x\udc00y',
  '\udfff\ud800',
  'a'.repeat(LONG),
  `asst_${'A'.repeat(LONG)}`,
  `thread_${'b'.repeat(LONG)}`,
  `msg_${'\u0000'.repeat(64)}`,
  '🦙'.repeat(300),
  "'; DROP TABLE threads; --",
  '../../etc/passwd',
  'run_%00',
  '\r\n\t',
  '\\u0000',
]

/** Values of every JSON type, deeply nested junk included, to put where a field belongs. */
export const JUNK_VALUES: readonly unknown[] = [
  ...JUNK_STRINGS,
  null,
  true,
  false,
  0,
  -1,
  1e308,
  3.5,
  -0.0001,
  Number.MAX_SAFE_INTEGER,
  [],
  [null],
  ['\u0000'],
  Array.from({ length: 300 }, (_, i) => `item ${i}`),
  {},
  { '\u0000': 'x' },
  { '\ud800': '\u0000' },
  { ['k'.repeat(LONG)]: 'v' },
  Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])),
  { type: 'text', text: '\ud800' },
  { role: 'user', content: '\u0000' },
  nested(40),
  nested(3000),
]

/** Raw request bodies that are not the JSON the route expects. */
export const JUNK_BODIES: ReadonlyArray<{ body: string | Uint8Array; contentType?: string }> = [
  { body: '' },
  { body: '{' },
  { body: 'null' },
  { body: '[]' },
  { body: '"\\ud800"' },
  { body: '{"a":"\\u0000"}' },
  { body: '{"model":"\\ud800\\u0000"}' },
  { body: JSON.stringify(nested(3000)) },
  { body: `{"x":${'['.repeat(100000)}` },
  {
    body: `{"metadata":${'['.repeat(100000)}${']'.repeat(100000)},"tools":[{"type":"function","function":{"name":"f","parameters":${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}}}]}`,
  },
  { body: new Uint8Array([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]) }, // {"<surrogate as UTF-8>":1}
  { body: new Uint8Array([0xff, 0xfe, 0x00, 0x7b]) },
  { body: '{"metadata":{"k":"v"}}', contentType: 'text/plain' },
  { body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
]

/** Path segments (already percent-encoded) that are not ids of the kind asked for. */
export const JUNK_PATH_IDS: readonly string[] = [
  '%00',
  '%00x',
  'x%00',
  'asst_%00',
  'thread_%00abc',
  '%ED%A0%80', // a surrogate as UTF-8: not valid percent-encoded UTF-8
  '%FF',
  '%',
  '%zz',
  '%C0%80', // an overlong NUL
  'a'.repeat(LONG),
  `thread_${'a'.repeat(LONG)}`,
  `msg_${'0'.repeat(LONG)}`,
  '%F0%9F%A6%99',
  '%20',
  '%27%3B--',
  'null',
  '-1',
  'asst_',
  'thread_x-y',
  'run_abc%2Fdef',
  'file-%00',
  'file_abc',
  `batch_${'a'.repeat(LONG)}`,
  'upload_a-b',
]

/** Query values (already percent-encoded) for `limit`, `order`, cursors and filters. */
export const JUNK_QUERY_VALUES: readonly string[] = [
  '',
  '%00',
  'msg_%00',
  '%ED%A0%80',
  '%FF',
  '0',
  '-1',
  '101',
  '1e3',
  '2.5',
  'abc',
  'desc%00',
  'ASC',
  'a'.repeat(LONG),
  `run_${'z'.repeat(LONG)}`,
  'null',
  '[]',
]

/** Every path inside a JSON value, as key lists ([] is the value itself). */
export function jsonPaths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const here = [prefix]
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => jsonPaths(item, [...prefix, i]))]
  if (value !== null && typeof value === 'object')
    return [...here, ...Object.entries(value).flatMap(([k, v]) => jsonPaths(v, [...prefix, k]))]
  return here
}

/** A deep copy of `value` with the node at `path` replaced (or, with `remove`, deleted). */
export function replaceAt(
  value: unknown,
  path: ReadonlyArray<string | number>,
  next: unknown,
  remove = false,
): unknown {
  if (path.length === 0) return next
  const copy = structuredClone(value) as Record<string | number, unknown>
  let parent = copy
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>
  const last = path[path.length - 1] as string | number
  if (remove && Array.isArray(parent)) parent.splice(Number(last), 1)
  else if (remove) delete parent[last]
  else parent[last] = next
  return copy
}

/** A reply read whole: status, lower-case headers, body text. */
export type RawReply = { status: number; headers: http.IncomingHttpHeaders; text: string }

/**
 * Sends one request with node:http, the path exactly as given (fetch would normalise it), and reads the reply
 * whole. A connection the server closes without a reply resolves with status 0.
 */
export function rawRequest(
  base: string,
  options: { method: string; path: string; body?: string | Uint8Array; contentType?: string },
): Promise<RawReply> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {}
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json'
    const request = http.request(
      { host: url.hostname, port: url.port, method: options.method, path: options.path, headers },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        response.on('error', reject)
      },
    )
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: 0, headers: {}, text: '' })
      else reject(error)
    })
    request.end(options.body)
  })
}
