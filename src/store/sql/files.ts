import type { FileObject } from '../../schemas/files.js'
import type { ListPage, ListQuery } from '../../schemas/shared.js'
import type { FileStore } from '../store.js'
import { bodies, type SqlContext } from './client.js'
import { listPage } from './page.js'

/** FileStore over SQL: file records only; the bytes live in FileBlobs. */
export function sqlFiles(ctx: SqlContext): FileStore {
  return {
    async create(file: FileObject): Promise<FileObject> {
      await ctx.client.query(
        'INSERT INTO files (id, purpose, created_at, expires_at, body) VALUES ($1, $2, $3, $4, $5::json)',
        [file.id, file.purpose, file.created_at, file.expires_at ?? null, JSON.stringify(file)],
      )
      return file
    },

    async get(id: string): Promise<FileObject | null> {
      const { rows } = await ctx.client.query('SELECT body FROM files WHERE id = $1', [id])
      return bodies<FileObject>(rows)[0] ?? null
    },

    list(query: ListQuery & { purpose?: string | undefined } = {}): Promise<ListPage<FileObject>> {
      const { purpose, ...page } = query
      return listPage<FileObject>(
        ctx.client,
        { table: 'files', parent: [], ...(purpose === undefined ? {} : { filters: [['purpose', purpose]] }) },
        page,
      )
    },

    async delete(id: string): Promise<boolean> {
      const { rows } = await ctx.client.query('DELETE FROM files WHERE id = $1 RETURNING id', [id])
      return rows.length > 0
    },

    async deleteExpired(now: number): Promise<string[]> {
      const { rows } = await ctx.client.query('DELETE FROM files WHERE expires_at <= $1 RETURNING id', [now])
      return rows.map((row) => String(row['id']))
    },

    async ids(): Promise<Set<string>> {
      const { rows } = await ctx.client.query('SELECT id FROM files')
      return new Set(rows.map((row) => String(row['id'])))
    },
  }
}
