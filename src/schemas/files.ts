import { Type, type Static } from 'typebox'
import { FileId, ObjectIdOf } from './ids.js'
import { ListResponse, UnixTime } from './shared.js'

/** What an upload is for; the server itself writes `batch_output` files. */
export const FilePurpose = Type.Union(
  [
    Type.Literal('assistants'),
    Type.Literal('batch'),
    Type.Literal('fine-tune'),
    Type.Literal('vision'),
    Type.Literal('user_data'),
    Type.Literal('evals'),
  ],
  { description: 'The intended purpose of the uploaded file.' },
)
export type FilePurpose = Static<typeof FilePurpose>

/** The purpose of a stored file: an upload's, or one the server wrote. */
export const StoredFilePurpose = Type.Union([FilePurpose, Type.Literal('batch_output')])
export type StoredFilePurpose = Static<typeof StoredFilePurpose>

/** When a file expires: `seconds` after its creation, from 1 hour to 30 days. */
export const ExpiresAfter = Type.Object(
  {
    anchor: Type.Literal('created_at', { description: 'The anchor: only `created_at`.' }),
    seconds: Type.Integer({
      minimum: 3600,
      maximum: 2_592_000,
      description: 'Seconds after the anchor, 3600 to 2592000.',
    }),
  },
  { additionalProperties: false },
)
export type ExpiresAfter = Static<typeof ExpiresAfter>

/** A stored file. */
export const FileObject = Type.Object({
  id: Type.String(),
  object: Type.Literal('file'),
  bytes: Type.Integer({ minimum: 0, description: 'Size of the file in bytes.' }),
  created_at: UnixTime,
  filename: Type.String(),
  purpose: StoredFilePurpose,
  status: Type.Union([Type.Literal('uploaded'), Type.Literal('processed'), Type.Literal('error')], {
    description: 'Always `processed`: a file is listed only once its bytes are on disk.',
  }),
  expires_at: Type.Optional(UnixTime),
})
export type FileObject = Static<typeof FileObject>

/** The non-file fields of POST /v1/files, as the multipart form carries them (strings, converted before the check). */
export const FileCreateFields = Type.Object(
  {
    purpose: FilePurpose,
    expires_after: Type.Optional(ExpiresAfter),
  },
  { additionalProperties: false },
)
export type FileCreateFields = Static<typeof FileCreateFields>

/** The reply to DELETE /v1/files/{file_id} (`object: "file"`, as the SDK declares). */
export const FileDeleted = Type.Object({ id: Type.String(), object: Type.Literal('file'), deleted: Type.Boolean() })
export type FileDeleted = Static<typeof FileDeleted>

/** Query of GET /v1/files. */
export const FileListParams = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Number of files to return, 1 to 100.' }),
  ),
  order: Type.Optional(
    Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
      default: 'desc',
      description: 'Sort order by `created_at`.',
    }),
  ),
  after: Type.Optional(ObjectIdOf('file', 'File id after which the page starts.')),
  purpose: Type.Optional(Type.String({ pattern: '^[a-z_-]{1,64}$', description: 'Only files with this purpose.' })),
})
export type FileListParams = Static<typeof FileListParams>

/** A page of files. */
export const FileList = ListResponse(FileObject)

/** Path of the /v1/files/{file_id} routes; a malformed id is the same 404 as an unknown one. */
export const FilePath = Type.Object({ file_id: FileId })
