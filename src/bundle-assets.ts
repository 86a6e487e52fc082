import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where PGlite's files are when this code runs as a bundle in dist/ (they sit beside it); handing them over
 * explicitly turns a missing file into a clear error. Unbundled, PGlite finds its own.
 */
export function bundledPglite(): { pgliteAssetsDir?: string } {
  const here = path.dirname(fileURLToPath(import.meta.url))
  return fs.existsSync(path.join(here, 'pglite.wasm')) ? { pgliteAssetsDir: here } : {}
}
