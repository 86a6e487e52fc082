import path from 'node:path'

/** The public id and every accepted name of a model: its aliases, else its file name without .gguf or shard suffix. */
export function modelNames(file: string, aliases: readonly string[]): { id: string; names: string[] } {
  const base = path.basename(file)
  const stem = base.replace(/\.gguf$/i, '').replace(/-\d{5}-of-\d{5}$/, '')
  const id = aliases[0] ?? stem
  return { id, names: [...new Set([id, ...aliases, stem, base])] }
}
