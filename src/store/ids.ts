import { randomBytes } from 'node:crypto'

/** Prefixes of the ids the server mints. */
export type IdPrefix =
  | 'asst'
  | 'thread'
  | 'msg'
  | 'run'
  | 'step'
  | 'call'
  | 'file'
  | 'upload'
  | 'part'
  | 'batch'
  | 'batch_req'
  | 'resp'
  | 'rs'
  | 'fc'
  | 'conv'

// OpenAI writes file ids with a dash (`file-...`); every other prefix takes `_`
const SEPARATOR: Partial<Record<IdPrefix, string>> = { file: '-' }

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const ID_LENGTH = 24
// 248 = 4 * 62: bytes at or above it are dropped, so every character is uniform (no modulo bias)
const UNBIASED_LIMIT = 248

/** A new unguessable id: the prefix, `_` (`-` for files), and 24 base62 characters (about 143 random bits). */
export function newId(prefix: IdPrefix): string {
  let out = `${prefix}${SEPARATOR[prefix] ?? '_'}`
  const length = out.length + ID_LENGTH
  while (out.length < length) {
    for (const byte of randomBytes(32)) {
      if (byte >= UNBIASED_LIMIT) continue
      out += ALPHABET[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}
