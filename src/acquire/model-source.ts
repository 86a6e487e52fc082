import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { downloadFile } from './download.js'
import { createProgress, type Progress, type ProgressStream } from './progress.js'

/** Where the model comes from: --model (path or URL) or --hf-repo/--hf-file, plus the download cache. */
export type ModelSourceOptions = {
  model?: string
  hfRepo?: string
  hfFile?: string
  /** Branch, tag or commit (default 'main'). */
  hfRevision?: string
  /** Sent as a Bearer token to the Hugging Face endpoint only; defaults to env HF_TOKEN. */
  hfToken?: string
  /** Defaults to env HF_ENDPOINT, then https://huggingface.co. */
  hfEndpoint?: string
  cacheDir: string
  /** Expected sha256 of the named file (not of the other shards of a split set). */
  sha256?: string
  signal?: AbortSignal
  log?: (message: string) => void
  /** Where download progress goes (default process.stderr); null for none. */
  progressStream?: ProgressStream | null
  /** Extra attempts per file after a lost connection, each resuming (default 3). */
  retries?: number
  retryDelayMs?: number
  /** Environment for HF_TOKEN and HF_ENDPOINT (default process.env). */
  env?: Record<string, string | undefined>
}

/** Why a model source was refused. */
export type ModelSourceErrorCode = 'invalid_source' | 'not_found'

/** A model source that is malformed or a local model file that does not exist. */
export class ModelSourceError extends Error {
  readonly code: ModelSourceErrorCode
  constructor(code: ModelSourceErrorCode, message: string) {
    super(message)
    this.name = 'ModelSourceError'
    this.code = code
  }
}

type RemoteFile = { url: string; dest: string }

const SPLIT_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/
const HF_REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$/
const DEFAULT_HF_ENDPOINT = 'https://huggingface.co'

/**
 * Returns the local path of the model's (first) GGUF file, downloading a URL or Hugging Face file,
 * and every shard of a split set, into the cache first.
 */
export async function resolveModelSource(options: ModelSourceOptions): Promise<string> {
  const { model, hfRepo, hfFile } = options
  if (hfRepo !== undefined || hfFile !== undefined) {
    if (model !== undefined) {
      throw invalid('pass either --model or --hf-repo with --hf-file, not both')
    }
    if (hfRepo === undefined || hfFile === undefined) throw invalid('--hf-repo and --hf-file go together')
    return download(huggingFaceFiles(hfRepo, hfFile, options), hfHeaders(options), options)
  }
  if (model === undefined || model === '')
    throw invalid('no model given: pass --model <path or URL> or --hf-repo and --hf-file')
  if (/^https?:\/\//i.test(model)) return download(urlFiles(model, options.cacheDir), {}, options)
  const info = await stat(model).catch(() => null)
  if (info === null) throw new ModelSourceError('not_found', `Cannot open model: '${model}' does not exist`)
  if (!info.isFile()) throw new ModelSourceError('not_found', `Cannot open model: '${model}' is not a file`)
  return model
}

/** The resolve URLs and cache paths of an HF file and its split siblings; the named file comes first. */
function huggingFaceFiles(repo: string, file: string, options: ModelSourceOptions): RemoteFile[] {
  const [owner, name] = repo.split('/')
  if (
    owner === undefined ||
    name === undefined ||
    repo.split('/').length !== 2 ||
    !HF_REPO_PART.test(owner) ||
    !HF_REPO_PART.test(name) ||
    repo.includes('..') ||
    repo.includes('--')
  ) {
    throw invalid(`--hf-repo must look like owner/name, got '${repo}'`)
  }
  const segments = checkRelativePath(file, '--hf-file')
  const revision = options.hfRevision ?? 'main'
  if (
    revision === '' ||
    revision.split('/').some((s) => s === '' || s === '.' || s === '..') ||
    hasUnsafeChars(revision)
  ) {
    throw invalid(`--hf-revision must be a branch, tag or commit, got '${revision}'`)
  }
  const endpoint = hfEndpoint(options)
  const dir = segments.slice(0, -1)
  const base = `${endpoint}/${owner}/${name}/resolve/${encodeURIComponent(revision)}/`
  return siblingNames(segments[segments.length - 1] ?? '').map((fileName) => ({
    url: base + [...dir, fileName].map(encodeURIComponent).join('/'),
    dest: join(options.cacheDir, 'hf', owner, name, safeName(revision), ...dir.map(safeName), safeName(fileName)),
  }))
}

/** The URL and cache path of a plain http(s) file and its split siblings. */
function urlFiles(model: string, cacheDir: string): RemoteFile[] {
  let url: URL
  try {
    url = new URL(model)
  } catch {
    throw invalid(`--model '${model}' is not a valid URL`)
  }
  const segments = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeSegment)
  const fileName = segments.pop()
  if (fileName === undefined || fileName === '.' || fileName === '..') {
    throw invalid(`--model URL '${model}' does not name a file`)
  }
  // A query can select different content, so it is part of the cache key
  const query = url.search === '' ? '' : `-${createHash('sha256').update(url.search).digest('hex').slice(0, 8)}`
  const dir = join(cacheDir, safeName(url.host), safeName(segments.join('--') || 'root') + query)
  return siblingNames(fileName).map((name) => {
    const sibling = new URL(url)
    const path = sibling.pathname.split('/')
    path[path.length - 1] = encodeURIComponent(name)
    sibling.pathname = path.join('/')
    return { url: sibling.href, dest: join(dir, safeName(name)) }
  })
}

/** Downloads each file in order with a progress line; returns the first shard's path. */
async function download(
  files: RemoteFile[],
  headers: Record<string, string>,
  options: ModelSourceOptions,
): Promise<string> {
  const stream = options.progressStream === undefined ? process.stderr : options.progressStream
  for (const [index, file] of files.entries()) {
    options.log?.(`Fetching ${file.url} into ${file.dest}`)
    let progress: Progress | null = null
    const label = basename(file.dest)
    await downloadFile(file.url, file.dest, {
      headers,
      retries: options.retries ?? 3,
      retryDelayMs: options.retryDelayMs,
      sha256: index === 0 ? options.sha256 : undefined,
      signal: options.signal,
      log: options.log,
      onProgress: ({ received, total }) => {
        if (stream === null) return
        progress ??= createProgress({ label, total, stream })
        progress.update(received, total)
      },
    }).finally(() => progress?.finish())
  }
  return firstShard(files).dest
}

/** All shard names when `fileName` is one shard of a split set (the named one first), else just it. */
function siblingNames(fileName: string): string[] {
  const match = SPLIT_NAME.exec(fileName)
  if (match === null) return [fileName]
  const [, prefix, no, of] = match
  const count = Number(of)
  if (count < 1 || Number(no) < 1 || Number(no) > count) throw invalid(`'${fileName}' is not a valid split shard name`)
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${pad(i + 1)}-of-${of}.gguf`)
  return [fileName, ...names.filter((name) => name !== fileName)]
}

function firstShard(files: RemoteFile[]): RemoteFile {
  const first = files.find((file) => /-00001-of-\d{5}\.gguf$/.test(file.dest)) ?? files[0]
  if (first === undefined) throw new Error('Cannot resolve the model: no file to download')
  return first
}

function hfEndpoint(options: ModelSourceOptions): string {
  const env = options.env ?? process.env
  const value = options.hfEndpoint ?? env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT
  const endpoint = value.replace(/\/+$/, '')
  if (!/^https?:\/\/[^/]/i.test(endpoint))
    throw invalid(`the Hugging Face endpoint must be an http(s) URL, got '${value}'`)
  return endpoint
}

function hfHeaders(options: ModelSourceOptions): Record<string, string> {
  const token = options.hfToken ?? (options.env ?? process.env).HF_TOKEN
  return token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` }
}

/** Splits a repo-relative path into segments, refusing absolute paths, `..` and odd characters. */
function checkRelativePath(path: string, flag: string): string[] {
  const segments = path.split('/')
  if (
    path === '' ||
    path.startsWith('/') ||
    /^[A-Za-z]:/.test(path) ||
    hasUnsafeChars(path) ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw invalid(`${flag} must be a relative path inside the repository without '..', got '${path}'`)
  }
  return segments
}

function hasUnsafeChars(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\\\u0000-\u001f\u007f]/.test(value)
}

/** Makes one path segment safe on every file system. */
function safeName(value: string): string {
  const safe = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200)
  return safe === '' || safe === '.' || safe === '..' ? `_${safe}` : safe
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function pad(n: number): string {
  return String(n).padStart(5, '0')
}

function invalid(message: string): ModelSourceError {
  return new ModelSourceError('invalid_source', `Cannot resolve the model: ${message}`)
}
