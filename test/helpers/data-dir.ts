import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { openPgliteStore } from '../../src/store/pglite.js'
import { REPO_ROOT } from './paths.js'

// A fresh PGlite directory costs an initdb (3-8 s on 2 busy cores); tests copy a migrated template instead. The
// template is keyed by the migrations, so a schema change makes a new one.
const KEY = createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 12)
const TEMPLATE = path.join(REPO_ROOT, '.cache', `pglite-template-${KEY}`)

async function ensureTemplate(): Promise<string> {
  if (
    await fs.stat(path.join(TEMPLATE, 'pglite', 'PG_VERSION')).then(
      () => true,
      () => false,
    )
  )
    return TEMPLATE
  const building = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-template-'))
  await (await openPgliteStore(building)).close()
  await fs.rm(path.join(building, 'store.lock'), { force: true })
  await fs.mkdir(path.dirname(TEMPLATE), { recursive: true })
  // another test process may have won the race: its template is as good as ours
  await fs.rename(building, TEMPLATE).catch(() => fs.rm(building, { recursive: true, force: true }))
  return TEMPLATE
}

/** A new, empty, already-migrated data directory for a test server (the caller removes it). */
export async function freshDataDir(prefix = 'oxillama-test-'): Promise<string> {
  const template = await ensureTemplate()
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  await fs.cp(template, dir, { recursive: true })
  return dir
}
