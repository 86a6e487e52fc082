import type { Migration } from '../migrations.js'
import type { SqlDatabase } from './client.js'

/** Applies the migrations not yet in schema_migrations, all in one transaction; returns the ids applied. */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at bigint NOT NULL)')
    const { rows } = await tx.query('SELECT id FROM schema_migrations')
    const done = new Set(rows.map((row) => String(row['id'])))
    const applied: string[] = []
    for (const migration of migrations) {
      if (done.has(migration.id)) continue
      await tx.exec(migration.sql)
      await tx.query('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [
        migration.id,
        Math.floor(Date.now() / 1000),
      ])
      applied.push(migration.id)
    }
    return applied
  })
}
