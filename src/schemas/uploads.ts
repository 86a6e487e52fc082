import { Type, type Static } from 'typebox'
import { ExpiresAfter, FileObject, FilePurpose } from './files.js'
import { PartId, UploadId } from './ids.js'
import { Nullable, UnixTime } from './shared.js'

/** Status of an upload. */
export const UploadStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('completed'),
  Type.Literal('cancelled'),
  Type.Literal('expired'),
])
export type UploadStatus = Static<typeof UploadStatus>

/** A multi-part upload that becomes a file once completed. */
export const Upload = Type.Object({
  id: Type.String(),
  object: Type.Literal('upload'),
  bytes: Type.Integer({ minimum: 0, description: 'The size the completed file must have.' }),
  created_at: UnixTime,
  expires_at: UnixTime,
  filename: Type.String(),
  purpose: FilePurpose,
  status: UploadStatus,
  file: Type.Optional(Nullable(FileObject)),
})
export type Upload = Static<typeof Upload>

/** Body of POST /v1/uploads. */
export const UploadCreateParams = Type.Object(
  {
    bytes: Type.Integer({ minimum: 0, description: 'The number of bytes of the whole file.' }),
    filename: Type.String({ minLength: 1, maxLength: 512, description: 'The name of the file.' }),
    mime_type: Type.String({ minLength: 1, maxLength: 256, description: 'The MIME type of the file.' }),
    purpose: FilePurpose,
    expires_after: Type.Optional(ExpiresAfter),
  },
  { additionalProperties: false },
)
export type UploadCreateParams = Static<typeof UploadCreateParams>

/** Body of POST /v1/uploads/{upload_id}/complete. */
export const UploadCompleteParams = Type.Object(
  {
    part_ids: Type.Array(PartId, {
      maxItems: 10_000,
      description: 'The parts, in the order their bytes join.',
    }),
    md5: Type.Optional(
      Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: 'MD5 of the whole file, checked when given.' }),
    ),
  },
  { additionalProperties: false },
)
export type UploadCompleteParams = Static<typeof UploadCompleteParams>

/** A part of an upload. */
export const UploadPart = Type.Object({
  id: Type.String(),
  object: Type.Literal('upload.part'),
  created_at: UnixTime,
  upload_id: Type.String(),
})
export type UploadPart = Static<typeof UploadPart>

/** Path of the /v1/uploads/{upload_id}/... routes; a malformed id is the same 404 as an unknown one. */
export const UploadPath = Type.Object({ upload_id: UploadId })
