import { createHash, type Hash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { STATUS_CODES } from 'node:http'
import { dirname } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { acquireFileLock } from './file-lock.js'
import { DownloadError } from './download-error.js'
import { httpRequest, type HttpRequestOptions, type HttpResponse } from './http-request.js'

/** How far a download has come; `received` includes bytes resumed from an earlier attempt. */
export type DownloadProgress = { received: number; total: number | null }

/** Options for downloadFile(). */
export type DownloadOptions = {
  /** Lowercase or uppercase hex; the file is deleted when it does not match. */
  sha256?: string
  expectedSize?: number
  signal?: AbortSignal
  headers?: Record<string, string>
  onProgress?: (progress: DownloadProgress) => void
  /** Further attempts after a lost connection or a 5xx, each resuming the partial file (default 0). */
  retries?: number
  retryDelayMs?: number
  timeoutMs?: number
  log?: (message: string) => void
}

/**
 * Downloads `url` to `dest` through `dest + '.part'` (resumed with a Range request when present),
 * checks size and sha256, renames it into place and returns `dest`; reuses a valid existing `dest`.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<string> {
  const sha256 = options.sha256?.toLowerCase()
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new TypeError(`Cannot download ${url}: sha256 must be 64 hex digits, got '${options.sha256}'`)
  }
  const settings = { ...options, sha256 }
  await mkdir(dirname(dest), { recursive: true })
  const release = await acquireFileLock(`${dest}.lock`, {
    signal: options.signal,
    onWait: () => options.log?.(`Waiting for another process to finish downloading ${dest}`),
  })
  try {
    if (await reuseExisting(url, dest, settings)) return dest
    const retries = options.retries ?? 0
    for (let attempt = 0; ; attempt++) {
      try {
        await fetchToPart(url, dest, settings)
        return dest
      } catch (error) {
        if (attempt >= retries || !isRetryable(error) || options.signal?.aborted === true) throw error
        const delayMs = (options.retryDelayMs ?? 1000) * (attempt + 1)
        options.log?.(`${(error as Error).message}; retrying in ${delayMs} ms`)
        await sleep(delayMs, undefined, { signal: options.signal })
      }
    }
  } finally {
    await release()
  }
}

type Settings = DownloadOptions & { sha256: string | undefined }

/** True if `dest` exists and still matches sha256, expectedSize or the server's size; else removes it. */
async function reuseExisting(url: string, dest: string, options: Settings): Promise<boolean> {
  const size = await fileSize(dest)
  if (size === null) return false
  let valid: boolean
  if (options.expectedSize !== undefined && size !== options.expectedSize) valid = false
  else if (options.sha256 !== undefined) valid = (await hashFile(dest)) === options.sha256
  else if (options.expectedSize !== undefined) valid = true
  else valid = await sizeMatchesServer(url, size, options)
  if (!valid) {
    options.log?.(`Cached ${dest} does not match ${url}; downloading it again`)
    await unlink(dest)
  }
  return valid
}

/** Asks the server for the size with HEAD; without an answer (offline, no length) the copy is kept. */
async function sizeMatchesServer(url: string, size: number, options: Settings): Promise<boolean> {
  let response: HttpResponse
  try {
    response = await httpRequest(url, { ...requestOptions(options), method: 'HEAD' })
  } catch (error) {
    options.signal?.throwIfAborted()
    options.log?.(`Cannot check ${url} (${(error as Error).message}); using the cached file`)
    return true
  }
  response.body.resume()
  const length = parseLength(response.headers['content-length'])
  if (response.status < 200 || response.status > 299 || length === null) return true
  return length === size
}

/** One attempt: requests the missing bytes, appends them to the .part file, verifies and renames it. */
async function fetchToPart(url: string, dest: string, options: Settings): Promise<void> {
  const part = `${dest}.part`
  let offset = (await fileSize(part)) ?? 0
  if (options.expectedSize !== undefined && offset > options.expectedSize) offset = await restart(part)
  for (;;) {
    const headers: Record<string, string> = { ...options.headers, 'accept-encoding': 'identity' }
    if (offset > 0) headers.range = `bytes=${offset}-`
    const response = await request(url, { ...requestOptions(options), headers })
    const { status, body } = response
    if (status === 416 && offset > 0) {
      body.resume()
      // Range past the end: the part is complete if its size is the server's total, else start over
      const total = parseContentRange(response.headers['content-range'])?.total ?? null
      if (total === offset) return finishPart(url, dest, { size: offset, total, hash: null }, options)
      offset = await restart(part)
      continue
    }
    if (status < 200 || status > 299) {
      body.resume()
      throw httpStatusError(url, status)
    }
    let total = parseLength(response.headers['content-length'])
    if (status === 206) {
      const range = parseContentRange(response.headers['content-range'])
      if (range === null || range.start !== offset) {
        body.destroy()
        if (offset === 0)
          throw new DownloadError('http_status', url, `Cannot download ${url}: unexpected 206 reply`, { status })
        offset = await restart(part)
        continue
      }
      total = range.total ?? (total === null ? null : offset + total)
    } else {
      offset = 0 // 200 to a Range request: the server sent the whole file, so start over
    }
    if (options.expectedSize !== undefined && total !== null && total !== options.expectedSize) {
      body.destroy()
      await unlink(part).catch(() => undefined)
      throw sizeError(url, options.expectedSize, total)
    }
    const hash = options.sha256 === undefined ? null : createHash('sha256')
    if (hash !== null && offset > 0) await hashFile(part, hash)
    const size = await writeBody(url, response, { part, offset, total, hash }, options)
    return finishPart(url, dest, { size, total, hash }, options)
  }
}

type PartState = { part: string; offset: number; total: number | null; hash: Hash | null }

/** Streams the body into the part file with backpressure; returns the part's size afterwards. */
async function writeBody(url: string, response: HttpResponse, state: PartState, options: Settings): Promise<number> {
  let received = state.offset
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length
      state.hash?.update(chunk)
      options.onProgress?.({ received, total: state.total })
      callback(null, chunk)
    },
  })
  const file = createWriteStream(state.part, { flags: state.offset > 0 ? 'a' : 'w' })
  try {
    await pipeline(response.body, meter, file)
  } catch (error) {
    // An abort surfaces from the socket as ECONNRESET: report the signal's reason instead
    options.signal?.throwIfAborted()
    throw interruptedError(url, received, state, error)
  }
  if (state.total !== null && received < state.total) throw interruptedError(url, received, state, null)
  return received
}

/** Checks size and sha256 of a complete part, then renames it to `dest`. */
async function finishPart(
  url: string,
  dest: string,
  result: { size: number; total: number | null; hash: Hash | null },
  options: Settings,
): Promise<void> {
  const part = `${dest}.part`
  const expected = options.expectedSize ?? result.total
  if (expected !== null && result.size !== expected) {
    await unlink(part).catch(() => undefined)
    throw sizeError(url, expected, result.size)
  }
  if (options.sha256 !== undefined) {
    const actual = result.hash === null ? await hashFile(part) : result.hash.digest('hex')
    if (actual !== options.sha256) {
      await unlink(part).catch(() => undefined)
      throw new DownloadError(
        'checksum_mismatch',
        url,
        `Cannot download ${url}: sha256 mismatch, expected ${options.sha256} but got ${actual}; the file was deleted`,
      )
    }
  }
  const handle = await open(part, 'r+')
  try {
    await handle.datasync() // the rename must not publish a file whose bytes are not on disk yet
  } finally {
    await handle.close()
  }
  await rename(part, dest)
}

/** httpRequest() with its failures (other than an abort) as DownloadError 'network'. */
async function request(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
  try {
    return await httpRequest(url, options)
  } catch (error) {
    options.signal?.throwIfAborted()
    throw new DownloadError('network', url, `Cannot download ${url}: ${(error as Error).message}`, { cause: error })
  }
}

function requestOptions({ headers, signal, timeoutMs }: Settings): HttpRequestOptions {
  return { headers, signal, timeoutMs }
}

function httpStatusError(url: string, status: number): DownloadError {
  let detail = `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd()
  if (status === 401 || status === 403) {
    detail += '; the repository may be gated or private: pass --hf-token or set HF_TOKEN'
  } else if (status === 404) {
    detail += '; the file, repository or revision was not found'
  }
  return new DownloadError('http_status', url, `Cannot download ${url}: ${detail}`, { status })
}

function interruptedError(url: string, received: number, state: PartState, cause: unknown): DownloadError {
  const reason = cause instanceof Error ? ` (${cause.message})` : ''
  return new DownloadError(
    'interrupted',
    url,
    `Cannot download ${url}: connection lost after ${received} of ${state.total ?? 'unknown'} bytes${reason}; ` +
      `${state.part} is kept and the next attempt resumes it`,
    { cause },
  )
}

function sizeError(url: string, expected: number, actual: number): DownloadError {
  return new DownloadError(
    'size_mismatch',
    url,
    `Cannot download ${url}: size mismatch, expected ${expected} bytes but got ${actual}; the file was deleted`,
  )
}

function isRetryable(error: unknown): boolean {
  if (!(error instanceof DownloadError)) return false
  if (error.code === 'network' || error.code === 'interrupted') return true
  return (
    error.code === 'http_status' &&
    error.status !== null &&
    (error.status >= 500 || error.status === 408 || error.status === 429)
  )
}

async function restart(part: string): Promise<number> {
  await unlink(part).catch(() => undefined)
  return 0
}

async function fileSize(path: string): Promise<number | null> {
  const info = await stat(path).catch(() => null)
  return info?.isFile() === true ? info.size : null
}

/** Feeds a file into `hash` (a new one by default) and returns the hex digest if it created it. */
async function hashFile(path: string, hash: Hash = createHash('sha256')): Promise<string> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.copy().digest('hex')
}

function parseLength(value: string | undefined): number | null {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null
}

/** Parses `bytes start-end/total` or `bytes *\/total`. */
function parseContentRange(value: string | undefined): { start: number | null; total: number | null } | null {
  const match = value === undefined ? null : /^bytes (?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(value.trim())
  if (match === null) return null
  return {
    start: match[1] === undefined ? null : Number(match[1]),
    total: match[2] === undefined || match[2] === '*' ? null : Number(match[2]),
  }
}
