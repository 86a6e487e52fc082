import { open, type FileHandle } from 'node:fs/promises'

/** A metadata value as read from a GGUF header: 64-bit integers become bigint only when unsafe. */
export type GgufValue = number | bigint | boolean | string | GgufValue[]

/** One entry of a GGUF tensor table; `offset` is relative to the start of the data section. */
export type GgufTensorInfo = { name: string; dims: number[]; type: number; offset: number }

/** The parsed header of a GGUF file: metadata, tensor table and where the data section starts. */
export type GgufHeader = {
  version: number
  kv: Map<string, GgufValue>
  tensors: GgufTensorInfo[]
  alignment: number
  dataOffset: number
  fileSize: number
}

/** Why a GGUF header could not be read. */
export type GgufErrorCode = 'not_gguf' | 'truncated' | 'unsupported_version' | 'header_too_large' | 'invalid'

/** Thrown by readGgufHeader(); `code` says what is wrong with the file. */
export class GgufError extends Error {
  readonly code: GgufErrorCode
  constructor(code: GgufErrorCode, message: string) {
    super(message)
    this.name = 'GgufError'
    this.code = code
  }
}

/** The largest header (metadata + tensor table) readGgufHeader() accepts by default. */
export const MAX_HEADER_BYTES = 256 * 1024 * 1024

const GGUF_MAGIC = 0x46554747 // "GGUF" read as little-endian u32
const MAGIC_BYTES = [0x47, 0x47, 0x55, 0x46]
const FIRST_READ = 64 * 1024
const TYPE_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 }
const T_STRING = 8
const T_ARRAY = 9
const decoder = new TextDecoder('utf-8')

/** Reads the header of a GGUF file (never the tensor data) through a growing buffer. */
export async function readGgufHeader(path: string, options: { maxHeaderBytes?: number } = {}): Promise<GgufHeader> {
  const handle = await open(path, 'r')
  try {
    const fileSize = (await handle.stat()).size
    const reader = new HeaderReader(handle, fileSize, options.maxHeaderBytes ?? MAX_HEADER_BYTES)
    return await parseHeader(reader, fileSize)
  } finally {
    await handle.close()
  }
}

async function parseHeader(r: HeaderReader, fileSize: number): Promise<GgufHeader> {
  if (fileSize < 8) {
    // too short for magic + version: tell a cut GGUF apart from some other small file
    const head = await r.peek(fileSize)
    const isPrefix = head.every((b, i) => b === MAGIC_BYTES[i] || i >= 4)
    if (!isPrefix || fileSize === 0)
      throw new GgufError('not_gguf', `the file is ${fileSize} bytes long and has no GGUF magic bytes`)
    throw new GgufError('truncated', `the file is only ${fileSize} bytes long`)
  }
  await r.need(8)
  if (r.u32() !== GGUF_MAGIC) throw new GgufError('not_gguf', 'the file does not start with the GGUF magic bytes')
  const version = r.u32()
  if (version === 1) {
    throw new GgufError('unsupported_version', 'GGUF v1 is no longer supported by llama.cpp; re-convert the model')
  }
  if (version !== 2 && version !== 3) {
    throw new GgufError('unsupported_version', `GGUF version ${version} is not supported (expected 2 or 3)`)
  }
  await r.need(16)
  const tensorCount = r.count('tensor count')
  const kvCount = r.count('metadata count')
  const kv = new Map<string, GgufValue>()
  for (let i = 0; i < kvCount; i++) {
    const key = await r.string()
    await r.need(4)
    const type = r.u32()
    kv.set(key, await r.value(type))
  }
  const tensors: GgufTensorInfo[] = []
  for (let i = 0; i < tensorCount; i++) tensors.push(await readTensorInfo(r))
  const alignment = readAlignment(kv)
  const dataOffset = Math.ceil(r.position / alignment) * alignment
  return { version, kv, tensors, alignment, dataOffset, fileSize }
}

async function readTensorInfo(r: HeaderReader): Promise<GgufTensorInfo> {
  const name = await r.string()
  await r.need(4)
  const nDims = r.u32()
  if (nDims > 8) throw new GgufError('invalid', `tensor '${name}' claims ${nDims} dimensions`)
  await r.need(nDims * 8 + 12)
  const dims: number[] = []
  for (let d = 0; d < nDims; d++) dims.push(r.count(`dimension of tensor '${name}'`))
  const type = r.u32()
  const offset = r.count(`offset of tensor '${name}'`)
  return { name, dims, type, offset }
}

function readAlignment(kv: Map<string, GgufValue>): number {
  const value = kv.get('general.alignment')
  if (value === undefined) return 32
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || (value & (value - 1)) !== 0) {
    throw new GgufError('invalid', `general.alignment must be a power of two, got ${String(value)}`)
  }
  return value
}

class HeaderReader {
  #handle: FileHandle
  #fileSize: number
  #max: number
  #buf = new Uint8Array(0)
  #view = new DataView(this.#buf.buffer)
  #base = 0 // file offset of #buf[0]
  #pos = 0 // read position inside #buf
  #end = 0 // bytes of #buf that hold file data

  constructor(handle: FileHandle, fileSize: number, max: number) {
    this.#handle = handle
    this.#fileSize = fileSize
    this.#max = max
  }

  get position(): number {
    return this.#base + this.#pos
  }

  /** Makes sure `n` more bytes are buffered, reading (and growing the buffer) as needed. */
  async need(n: number): Promise<void> {
    if (this.#end - this.#pos >= n) return
    const wantEnd = this.position + n
    if (wantEnd > this.#fileSize) {
      throw new GgufError(
        'truncated',
        `the header ends past the end of the file (needs byte ${wantEnd}, file has ${this.#fileSize})`,
      )
    }
    if (wantEnd > this.#max) {
      throw new GgufError('header_too_large', `the header is larger than ${this.#max} bytes; refusing to read it`)
    }
    const keep = this.#end - this.#pos
    const size = Math.max(n, FIRST_READ, Math.min(this.#buf.length * 2, this.#max))
    const next = size > this.#buf.length ? new Uint8Array(size) : this.#buf
    if (next === this.#buf) next.copyWithin(0, this.#pos, this.#end)
    else next.set(this.#buf.subarray(this.#pos, this.#end), 0)
    this.#base += this.#pos
    this.#pos = 0
    this.#end = keep
    this.#buf = next
    this.#view = new DataView(next.buffer, next.byteOffset, next.byteLength)
    const toRead = Math.min(next.length - keep, this.#fileSize - (this.#base + keep))
    let got = 0
    while (got < toRead) {
      const { bytesRead } = await this.#handle.read(next, keep + got, toRead - got, this.#base + keep + got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    this.#end = keep + got
    if (this.#end - this.#pos < n) throw new GgufError('truncated', 'the file ended while reading the header')
  }

  /** Returns the next `n` bytes without consuming them. */
  async peek(n: number): Promise<Uint8Array> {
    await this.need(n)
    return this.#buf.slice(this.#pos, this.#pos + n)
  }

  u32(): number {
    const v = this.#view.getUint32(this.#pos, true)
    this.#pos += 4
    return v
  }

  /** A u64 that must fit in a safe integer (counts, lengths, offsets). */
  count(what: string): number {
    const v = this.#view.getBigUint64(this.#pos, true)
    this.#pos += 8
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError('invalid', `${what} is too large (${v})`)
    return Number(v)
  }

  async string(): Promise<string> {
    await this.need(8)
    const len = this.count('string length')
    await this.need(len)
    const s = decoder.decode(this.#buf.subarray(this.#pos, this.#pos + len))
    this.#pos += len
    return s
  }

  async value(type: number): Promise<GgufValue> {
    if (type === T_STRING) return this.string()
    if (type === T_ARRAY) return this.array()
    const size = TYPE_SIZES[type]
    if (size === undefined) throw new GgufError('invalid', `unknown metadata value type ${type}`)
    await this.need(size)
    return this.scalar(type)
  }

  async array(): Promise<GgufValue[]> {
    await this.need(12)
    const type = this.u32()
    const n = this.count('array length')
    if (type === T_STRING) {
      const out: string[] = new Array<string>(n)
      for (let i = 0; i < n; i++) {
        // fast path: both the length and the bytes are already buffered
        if (this.#end - this.#pos >= 8) {
          const len = Number(this.#view.getBigUint64(this.#pos, true))
          if (this.#end - this.#pos - 8 >= len) {
            out[i] = decoder.decode(this.#buf.subarray(this.#pos + 8, this.#pos + 8 + len))
            this.#pos += 8 + len
            continue
          }
        }
        out[i] = await this.string()
      }
      return out
    }
    if (type === T_ARRAY) {
      const out: GgufValue[] = []
      for (let i = 0; i < n; i++) out.push(await this.array())
      return out
    }
    const size = TYPE_SIZES[type]
    if (size === undefined) throw new GgufError('invalid', `unknown array element type ${type}`)
    await this.need(n * size)
    const out: GgufValue[] = new Array<GgufValue>(n)
    for (let i = 0; i < n; i++) out[i] = this.scalar(type)
    return out
  }

  scalar(type: number): GgufValue {
    const v = this.#view
    const p = this.#pos
    this.#pos += TYPE_SIZES[type] ?? 0
    switch (type) {
      case 0:
        return v.getUint8(p)
      case 1:
        return v.getInt8(p)
      case 2:
        return v.getUint16(p, true)
      case 3:
        return v.getInt16(p, true)
      case 4:
        return v.getUint32(p, true)
      case 5:
        return v.getInt32(p, true)
      case 6:
        return v.getFloat32(p, true)
      case 7:
        return v.getUint8(p) !== 0
      case 10:
        return safeNumber(v.getBigUint64(p, true))
      case 11:
        return safeNumber(v.getBigInt64(p, true))
      case 12:
        return v.getFloat64(p, true)
      default:
        throw new GgufError('invalid', `unknown metadata value type ${type}`)
    }
  }
}

function safeNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v
}
