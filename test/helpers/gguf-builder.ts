// Builds GGUF headers in memory so tests can make synthetic model files (data written as sparse files).

/** A typed metadata entry: GGUF value type id (4 = u32, 8 = string, ...) and its value. */
export type GgufKvEntry =
  | { type: 'u32' | 'i32' | 'f32' | 'u64'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'f32[]' | 'i32[]'; value: number[] }

/** One tensor table row; `offset` defaults to packing tensors back to back (aligned). */
export type GgufTensorSpec = { name: string; dims: number[]; type: number; bytes: number; offset?: number }

/** Serialises a GGUF header (magic, counts, metadata, tensor table, padding) and returns it with the data size. */
export function buildGgufHeader(
  kv: Record<string, GgufKvEntry>,
  tensors: GgufTensorSpec[],
  options: { version?: number; alignment?: number } = {},
): { header: Buffer; dataBytes: number } {
  const alignment = options.alignment ?? 32
  const parts: Buffer[] = []
  const u32 = (n: number): void => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n)
    parts.push(b)
  }
  const u64 = (n: number): void => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    parts.push(b)
  }
  const str = (s: string): void => {
    const b = Buffer.from(s, 'utf8')
    u64(b.length)
    parts.push(b)
  }
  parts.push(Buffer.from('GGUF', 'ascii'))
  u32(options.version ?? 3)
  u64(tensors.length)
  u64(Object.keys(kv).length)
  for (const [key, entry] of Object.entries(kv)) {
    str(key)
    writeValue(entry, { u32, u64, str, parts })
  }
  let next = 0
  for (const t of tensors) {
    str(t.name)
    u32(t.dims.length)
    for (const d of t.dims) u64(d)
    u32(t.type)
    const offset = t.offset ?? next
    u64(offset)
    next = Math.ceil((offset + t.bytes) / alignment) * alignment
  }
  const header = Buffer.concat(parts)
  const padded = Buffer.alloc(Math.ceil(header.length / alignment) * alignment)
  header.copy(padded)
  const dataBytes = tensors.reduce(
    (end, t, i) => Math.max(end, (t.offset ?? offsetOf(tensors, i, alignment)) + t.bytes),
    0,
  )
  return { header: padded, dataBytes }
}

function offsetOf(tensors: GgufTensorSpec[], index: number, alignment: number): number {
  let next = 0
  for (let i = 0; i < index; i++) {
    const t = tensors[i] as GgufTensorSpec
    next = Math.ceil(((t.offset ?? next) + t.bytes) / alignment) * alignment
  }
  return next
}

type Writers = { u32: (n: number) => void; u64: (n: number) => void; str: (s: string) => void; parts: Buffer[] }

function writeValue(entry: GgufKvEntry, w: Writers): void {
  const f32 = (n: number): void => {
    const b = Buffer.alloc(4)
    b.writeFloatLE(n)
    w.parts.push(b)
  }
  const i32 = (n: number): void => {
    const b = Buffer.alloc(4)
    b.writeInt32LE(n)
    w.parts.push(b)
  }
  switch (entry.type) {
    case 'u32':
      w.u32(4)
      w.u32(entry.value)
      return
    case 'i32':
      w.u32(5)
      i32(entry.value)
      return
    case 'f32':
      w.u32(6)
      f32(entry.value)
      return
    case 'u64':
      w.u32(10)
      w.u64(entry.value)
      return
    case 'bool':
      w.u32(7)
      w.parts.push(Buffer.from([entry.value ? 1 : 0]))
      return
    case 'string':
      w.u32(8)
      w.str(entry.value)
      return
    case 'string[]':
      w.u32(9)
      w.u32(8)
      w.u64(entry.value.length)
      entry.value.forEach(w.str)
      return
    case 'f32[]':
      w.u32(9)
      w.u32(6)
      w.u64(entry.value.length)
      entry.value.forEach(f32)
      return
    case 'i32[]':
      w.u32(9)
      w.u32(5)
      w.u64(entry.value.length)
      entry.value.forEach(i32)
      return
  }
}
