import type { Upload, UploadPart } from '../../schemas/uploads.js'
import { StoreError, notFound } from '../errors.js'
import type { UploadStore } from '../store.js'
import { bodies, type SqlContext } from './client.js'

/** UploadStore over SQL: uploads and their parts' sizes; the part bytes live in FileBlobs. */
export function sqlUploads(ctx: SqlContext): UploadStore {
  return {
    async create(upload: Upload): Promise<Upload> {
      await ctx.client.query(
        'INSERT INTO uploads (id, status, created_at, expires_at, body) VALUES ($1, $2, $3, $4, $5::json)',
        [upload.id, upload.status, upload.created_at, upload.expires_at, JSON.stringify(upload)],
      )
      return upload
    },

    async get(id: string): Promise<Upload | null> {
      const { rows } = await ctx.client.query('SELECT body FROM uploads WHERE id = $1', [id])
      return bodies<Upload>(rows)[0] ?? null
    },

    async addPart(part: UploadPart, bytes: number): Promise<void> {
      await ctx.atomic(async (client) => {
        const { rows } = await client.query('SELECT status FROM uploads WHERE id = $1 FOR UPDATE', [part.upload_id])
        const status = rows[0]?.['status']
        if (status === undefined) throw notFound('upload', part.upload_id)
        if (status !== 'pending')
          throw new StoreError('conflict', `Cannot add a part: the upload is ${String(status)}`, { id: part.upload_id })
        await client.query('INSERT INTO upload_parts (id, upload_id, bytes, created_at) VALUES ($1, $2, $3, $4)', [
          part.id,
          part.upload_id,
          bytes,
          part.created_at,
        ])
      })
    },

    async parts(uploadId: string): Promise<Map<string, number>> {
      const { rows } = await ctx.client.query('SELECT id, bytes FROM upload_parts WHERE upload_id = $1', [uploadId])
      return new Map(rows.map((row) => [String(row['id']), Number(row['bytes'])]))
    },

    async finish(id: string, patch: Pick<Upload, 'status' | 'file'>): Promise<Upload> {
      return ctx.atomic(async (client) => {
        const { rows } = await client.query('SELECT body FROM uploads WHERE id = $1 FOR UPDATE', [id])
        const current = bodies<Upload>(rows)[0]
        if (current === undefined) throw notFound('upload', id)
        if (current.status !== 'pending')
          throw new StoreError(
            'conflict',
            `Cannot ${patch.status === 'cancelled' ? 'cancel' : 'complete'} the upload: it is ${current.status}`,
            { id },
          )
        const next: Upload = { ...current, ...patch }
        await client.query('UPDATE uploads SET status = $2, body = $3::json WHERE id = $1', [
          id,
          next.status,
          JSON.stringify(next),
        ])
        await client.query('DELETE FROM upload_parts WHERE upload_id = $1', [id])
        return next
      })
    },

    async expire(now: number): Promise<string[]> {
      return ctx.atomic(async (client) => {
        const { rows } = await client.query(
          "SELECT body FROM uploads WHERE status = 'pending' AND expires_at <= $1 FOR UPDATE",
          [now],
        )
        const expired = bodies<Upload>(rows).map((upload): Upload => ({ ...upload, status: 'expired' }))
        for (const upload of expired) {
          await client.query("UPDATE uploads SET status = 'expired', body = $2::json WHERE id = $1", [
            upload.id,
            JSON.stringify(upload),
          ])
          await client.query('DELETE FROM upload_parts WHERE upload_id = $1', [upload.id])
        }
        return expired.map((upload) => upload.id)
      })
    },
  }
}
