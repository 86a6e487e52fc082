import { access, constants } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { GgufError, readGgufHeader, type GgufHeader, type GgufValue } from './gguf.js'
import { tensorByteSize } from './tensor-bytes.js'

/** What is wrong with a model file, as a stable code. */
export type ModelFileErrorCode =
  | 'not_found'
  | 'not_gguf'
  | 'truncated'
  | 'unsupported_version'
  | 'no_weights'
  | 'invalid'
  | 'missing_shard'
  | 'bad_split'
  | 'too_big_for_build'
  | 'too_big_for_heap'

/** A model file that cannot be loaded; the message names the file and the reason in plain words. */
export class ModelFileError extends Error {
  readonly code: ModelFileErrorCode
  readonly path: string
  constructor(code: ModelFileErrorCode, path: string, reason: string) {
    super(`Cannot load model file '${path}': ${reason}`)
    this.name = 'ModelFileError'
    this.code = code
    this.path = path
  }
}

/** Which engine build will run the model and with what context. */
export type CheckModelOptions = { build: 'simd' | 'relaxed' | 'main' | 'compat'; nCtx: number; nParallel?: number }

/** What checkModel() learned about a loadable model. */
export type ModelInfo = {
  paths: string[]
  fileSize: number
  architecture: string
  name: string | null
  contextLength: number | null
  embeddingLength: number | null
  blockCount: number | null
  headCount: number | null
  headCountKv: number | null
  vocabSize: number | null
  chatTemplate: string | null
  tensorBytes: number
  tensorCount: number
  hasEncoder: boolean
  /** Estimated wasm heap need in bytes: tensors + f16 KV cache for nCtx + a fixed margin. */
  heapBytes: number
  /** Header of the first (or only) file, for the tokenizer and the chat template. */
  header: GgufHeader
}

/** Largest single file the wasm32 builds (simd, compat: 32-bit file offsets in their FS layer) can mount. */
export const COMPAT_FILE_LIMIT = 2 * 1024 ** 3
/** The wasm32 heap ceiling. */
export const WASM_HEAP_LIMIT = 4 * 1024 ** 3
/** Room kept for compute buffers, logits and the runtime on top of weights and KV cache. */
export const HEAP_MARGIN = 256 * 1024 ** 2

const SPLIT_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/

/** Checks a GGUF model (and its split shards) before it is handed to llama.cpp. */
export async function checkModel(path: string, options: CheckModelOptions): Promise<ModelInfo> {
  const first = await readChecked(path)
  const paths = await shardPaths(path, first)
  const headers = [first]
  for (let i = 1; i < paths.length; i++) {
    const shard = paths[i] as string
    try {
      await access(shard, constants.R_OK)
    } catch {
      throw new ModelFileError(
        'missing_shard',
        path,
        `split shard ${i + 1} of ${paths.length} is missing: '${shard}' does not exist or cannot be read`,
      )
    }
    const header = await readChecked(shard)
    const no = header.kv.get('split.no')
    if (no !== undefined && no !== i) {
      throw new ModelFileError('bad_split', shard, `it says it is shard ${Number(no) + 1}, expected shard ${i + 1}`)
    }
    headers.push(header)
  }
  const tensorCount = headers.reduce((n, h) => n + h.tensors.length, 0)
  if (tensorCount === 0) {
    throw new ModelFileError(
      'no_weights',
      path,
      'it holds no tensors (a tokenizer/vocab-only file); it has no weights to run',
    )
  }
  const declared = first.kv.get('split.tensors.count')
  if (paths.length > 1 && typeof declared === 'number' && declared !== tensorCount) {
    throw new ModelFileError(
      'bad_split',
      path,
      `the shards hold ${tensorCount} tensors but split.tensors.count is ${declared}`,
    )
  }
  for (let i = 0; i < headers.length; i++) {
    const size = (headers[i] as GgufHeader).fileSize
    if (options.build !== 'main' && size >= COMPAT_FILE_LIMIT) {
      throw new ModelFileError(
        'too_big_for_build',
        paths[i] as string,
        `the file is ${gib(size)} and the wasm32 builds (${options.build}) cannot open files of 2 GiB or more; ` +
          'use the main build (Node 24 or newer) or split it into smaller shards with llama-gguf-split --split-max-size 1G',
      )
    }
  }
  const info = describe(paths, headers, options)
  if (info.heapBytes > WASM_HEAP_LIMIT) {
    throw new ModelFileError(
      'too_big_for_heap',
      path,
      `it needs about ${gib(info.heapBytes)} of wasm memory (${gib(info.tensorBytes)} weights + ` +
        `${gib(info.heapBytes - info.tensorBytes - HEAP_MARGIN)} KV cache for ${effectiveCtx(info, options)} tokens + ` +
        `${gib(HEAP_MARGIN)} margin) but the limit is ${gib(WASM_HEAP_LIMIT)}; use a smaller --ctx-size or a smaller quantization`,
    )
  }
  return info
}

/** KV cache bytes llama.cpp allocates in f16 for `nCtx` cells, from a model's hyperparameters. */
export function kvCacheBytes(header: GgufHeader, nCtx: number): number {
  const arch = stringKey(header, 'general.architecture') ?? ''
  const layers = numberKey(header, `${arch}.block_count`) ?? 0
  const embd = numberKey(header, `${arch}.embedding_length`) ?? 0
  const heads = perLayer(header.kv.get(`${arch}.attention.head_count`), layers)
  const kvHeadsRaw = header.kv.get(`${arch}.attention.head_count_kv`)
  const kvHeads = kvHeadsRaw === undefined ? heads : perLayer(kvHeadsRaw, layers)
  let total = 0
  for (let l = 0; l < layers; l++) {
    const h = heads[l] ?? 0
    const hk = kvHeads[l] ?? 0
    if (h === 0 || hk === 0) continue
    const keyLen = numberKey(header, `${arch}.attention.key_length`) ?? embd / h
    const valueLen = numberKey(header, `${arch}.attention.value_length`) ?? embd / h
    total += hk * (keyLen + valueLen)
  }
  return nCtx * total * 2
}

/** Total tensor bytes of the given headers (tensors of unknown type count as 0). */
export function tensorBytesOf(headers: GgufHeader[]): number {
  let total = 0
  for (const h of headers) for (const t of h.tensors) total += tensorByteSize(t) ?? 0
  return total
}

async function readChecked(path: string): Promise<GgufHeader> {
  let header: GgufHeader
  try {
    header = await readGgufHeader(path)
  } catch (err) {
    throw toModelFileError(path, err)
  }
  for (const t of header.tensors) {
    const size = tensorByteSize(t)
    const end = header.dataOffset + t.offset + (size ?? 0)
    if (end > header.fileSize) {
      throw new ModelFileError(
        'truncated',
        path,
        `tensor '${t.name}' ends at byte ${end} but the file has only ${header.fileSize} bytes (the file is truncated)`,
      )
    }
  }
  return header
}

function toModelFileError(path: string, err: unknown): ModelFileError {
  if (err instanceof GgufError) {
    switch (err.code) {
      case 'not_gguf':
        return new ModelFileError('not_gguf', path, `it is not a GGUF file (${err.message})`)
      case 'truncated':
        return new ModelFileError('truncated', path, `the file is truncated: ${err.message}`)
      case 'unsupported_version':
        return new ModelFileError('unsupported_version', path, err.message)
      case 'header_too_large':
      case 'invalid':
        return new ModelFileError('invalid', path, `the GGUF header is invalid: ${err.message}`)
      default: {
        const never: never = err.code
        return never
      }
    }
  }
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ENOENT') return new ModelFileError('not_found', path, 'the file does not exist')
  if (code === 'EISDIR') return new ModelFileError('not_found', path, 'it is a directory, not a file')
  if (code === 'EACCES' || code === 'EPERM')
    return new ModelFileError('not_found', path, 'the file cannot be read (permission denied)')
  return new ModelFileError(
    'not_found',
    path,
    `the file cannot be read (${err instanceof Error ? err.message : String(err)})`,
  )
}

async function shardPaths(path: string, header: GgufHeader): Promise<string[]> {
  const match = SPLIT_NAME.exec(basename(path))
  const headerCount = header.kv.get('split.count')
  const count = typeof headerCount === 'number' ? headerCount : match ? Number(match[3]) : 1
  if (count <= 1) return [path]
  const no = header.kv.get('split.no')
  if ((typeof no === 'number' && no !== 0) || (match && Number(match[2]) !== 1)) {
    throw new ModelFileError(
      'bad_split',
      path,
      'it is not the first shard of a split model; pass the file named ...-00001-of-' +
        `${String(count).padStart(5, '0')}.gguf`,
    )
  }
  if (!match) {
    throw new ModelFileError(
      'bad_split',
      path,
      `it is shard 1 of a ${count}-part split model, but its name does not follow <prefix>-00001-of-${String(count).padStart(5, '0')}.gguf, so the other shards cannot be found`,
    )
  }
  const prefix = join(dirname(path), match[1] as string)
  const pad = (n: number): string => String(n).padStart(5, '0')
  return Array.from({ length: count }, (_, i) => `${prefix}-${pad(i + 1)}-of-${pad(count)}.gguf`)
}

function describe(paths: string[], headers: GgufHeader[], options: CheckModelOptions): ModelInfo {
  const header = headers[0] as GgufHeader
  const arch = stringKey(header, 'general.architecture') ?? 'unknown'
  const tokens = header.kv.get('tokenizer.ggml.tokens')
  const tensorBytes = tensorBytesOf(headers)
  const info: ModelInfo = {
    paths,
    fileSize: headers.reduce((n, h) => n + h.fileSize, 0),
    architecture: arch,
    name: stringKey(header, 'general.name'),
    contextLength: numberKey(header, `${arch}.context_length`),
    embeddingLength: numberKey(header, `${arch}.embedding_length`),
    blockCount: numberKey(header, `${arch}.block_count`),
    headCount: numberKey(header, `${arch}.attention.head_count`),
    headCountKv: numberKey(header, `${arch}.attention.head_count_kv`),
    vocabSize: Array.isArray(tokens) ? tokens.length : numberKey(header, `${arch}.vocab_size`),
    chatTemplate: stringKey(header, 'tokenizer.chat_template'),
    tensorBytes,
    tensorCount: headers.reduce((n, h) => n + h.tensors.length, 0),
    hasEncoder: arch === 't5' || arch === 't5encoder',
    heapBytes: 0,
    header,
  }
  info.heapBytes = tensorBytes + kvCacheBytes(header, effectiveCtx(info, options)) + HEAP_MARGIN
  return info
}

// llama.cpp's n_ctx = 0 means "the model's training context"; the KV cache is shared by all slots
function effectiveCtx(info: Pick<ModelInfo, 'contextLength'>, options: CheckModelOptions): number {
  return options.nCtx > 0 ? options.nCtx : (info.contextLength ?? 0)
}

function perLayer(value: GgufValue | undefined, layers: number): number[] {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' ? v : 0))
  const n = typeof value === 'number' ? value : 0
  return Array.from({ length: layers }, () => n)
}

function numberKey(header: GgufHeader, key: string): number | null {
  const v = header.kv.get(key)
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null
}

function stringKey(header: GgufHeader, key: string): string | null {
  const v = header.kv.get(key)
  return typeof v === 'string' ? v : null
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`
}
