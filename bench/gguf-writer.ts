// A streaming GGUF v3 writer: header in memory, tensor data pulled chunk by chunk from a filler.
import { open } from 'node:fs/promises'

/** A typed metadata value as written to the file. */
export type GgufKv =
  | { type: 'u32' | 'i32' | 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'f32[]' | 'i32[]'; value: readonly number[] }

/** One tensor to write: ggml type id and its exact byte count (the filler must yield that many bytes). */
export type GgufTensorSpec = { name: string; dims: readonly number[]; type: number; bytes: number }

/** Yields a tensor's bytes in order, in chunks of any size. */
export type TensorFiller = (tensor: GgufTensorSpec, index: number) => Iterable<Uint8Array> | AsyncIterable<Uint8Array>

/** A file's layout: the encoded (padded) header, each tensor's offset in the data section, total file size. */
export type GgufLayout = { header: Buffer; offsets: number[]; fileSize: number }

const GGUF_MAGIC = 0x46554747
const ALIGNMENT = 32
const T_U32 = 4
const T_I32 = 5
const T_F32 = 6
const T_BOOL = 7
const T_STRING = 8
const T_ARRAY = 9

/** Encodes a GGUF v3 header (32-byte alignment) and computes where each tensor's data goes. */
export function layoutGguf(
  kv: ReadonlyArray<readonly [string, GgufKv]>,
  tensors: readonly GgufTensorSpec[],
): GgufLayout {
  const out = new ByteList()
  out.u32(GGUF_MAGIC)
  out.u32(3)
  out.u64(tensors.length)
  out.u64(kv.length)
  for (const [key, entry] of kv) {
    out.str(key)
    writeKv(out, entry)
  }
  const offsets: number[] = []
  let next = 0
  for (const t of tensors) {
    out.str(t.name)
    out.u32(t.dims.length)
    for (const d of t.dims) out.u64(d)
    out.u32(t.type)
    out.u64(next)
    offsets.push(next)
    next = alignUp(next + t.bytes)
  }
  const raw = out.concat()
  const header = Buffer.alloc(alignUp(raw.length))
  raw.copy(header)
  const last = tensors.length - 1
  const dataEnd = last < 0 ? 0 : (offsets[last] ?? 0) + (tensors[last]?.bytes ?? 0)
  return { header, offsets, fileSize: header.length + dataEnd }
}

/** Writes a GGUF file, streaming each tensor's data from `fill`; returns the file size. */
export async function writeGguf(
  path: string,
  kv: ReadonlyArray<readonly [string, GgufKv]>,
  options: { tensors: readonly GgufTensorSpec[]; fill: TensorFiller },
): Promise<number> {
  const { tensors, fill } = options
  const layout = layoutGguf(kv, tensors)
  const handle = await open(path, 'w')
  try {
    let pos = 0
    const put = async (bytes: Uint8Array): Promise<void> => {
      let done = 0
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, pos + done)
        done += bytesWritten
      }
      pos += bytes.length
    }
    await put(layout.header)
    for (const [i, tensor] of tensors.entries()) {
      const start = layout.header.length + (layout.offsets[i] ?? 0)
      if (start > pos) await put(new Uint8Array(start - pos)) // alignment padding between tensors
      let written = 0
      for await (const chunk of fill(tensor, i)) {
        written += chunk.length
        if (written > tensor.bytes)
          throw new Error(`Cannot write tensor '${tensor.name}': filler yielded more than ${tensor.bytes} bytes`)
        await put(chunk)
      }
      if (written !== tensor.bytes) {
        throw new Error(`Cannot write tensor '${tensor.name}': filler yielded ${written} of ${tensor.bytes} bytes`)
      }
    }
    if (pos !== layout.fileSize) throw new Error(`Cannot write GGUF: wrote ${pos} bytes, expected ${layout.fileSize}`)
    return pos
  } finally {
    await handle.close()
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT
}

function writeKv(out: ByteList, entry: GgufKv): void {
  switch (entry.type) {
    case 'u32':
      out.u32(T_U32)
      out.u32(entry.value)
      return
    case 'i32':
      out.u32(T_I32)
      out.i32(entry.value)
      return
    case 'f32':
      out.u32(T_F32)
      out.f32(entry.value)
      return
    case 'bool':
      out.u32(T_BOOL)
      out.bytes(Buffer.from([entry.value ? 1 : 0]))
      return
    case 'string':
      out.u32(T_STRING)
      out.str(entry.value)
      return
    case 'string[]':
      arrayHead(out, T_STRING, entry.value.length)
      for (const s of entry.value) out.str(s)
      return
    case 'f32[]':
      arrayHead(out, T_F32, entry.value.length)
      for (const v of entry.value) out.f32(v)
      return
    case 'i32[]':
      arrayHead(out, T_I32, entry.value.length)
      for (const v of entry.value) out.i32(v)
      return
    default: {
      const never: never = entry
      throw new Error(`Cannot encode metadata value: ${JSON.stringify(never)}`)
    }
  }
}

function arrayHead(out: ByteList, elemType: number, length: number): void {
  out.u32(T_ARRAY)
  out.u32(elemType)
  out.u64(length)
}

/** Little-endian byte accumulator for the header. */
class ByteList {
  #parts: Buffer[] = []

  bytes(b: Buffer): void {
    this.#parts.push(b)
  }
  u32(v: number): void {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(v)
    this.#parts.push(b)
  }
  i32(v: number): void {
    const b = Buffer.alloc(4)
    b.writeInt32LE(v)
    this.#parts.push(b)
  }
  f32(v: number): void {
    const b = Buffer.alloc(4)
    b.writeFloatLE(v)
    this.#parts.push(b)
  }
  u64(v: number): void {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(v))
    this.#parts.push(b)
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8')
    this.u64(b.length)
    this.#parts.push(b)
  }
  concat(): Buffer {
    return Buffer.concat(this.#parts)
  }
}
