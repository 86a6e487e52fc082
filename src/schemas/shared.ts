import { Type, type Static, type TSchema } from 'typebox'

/** Wire `X | null`: a required key whose value may be `null`. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()])
}

/** An object id in a path or cursor: unknown or foreign ids are a 404 from the store, not a 400. */
export const ObjectId = Type.String({ minLength: 1, maxLength: 256, description: 'An object identifier.' })

/** Up to 16 string pairs attached to an object (keys at most 64 characters, values at most 512). */
export const Metadata = Type.Record(Type.String(), Type.String({ maxLength: 512 }), {
  maxProperties: 16,
  propertyNames: Type.String({ maxLength: 64 }),
  description: 'Set of 16 key-value pairs; keys at most 64 characters, values strings of at most 512 characters.',
})
export type Metadata = Static<typeof Metadata>

/** Sort order by creation time. */
export const ListOrder = Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
  description: 'Sort order by the `created_at` timestamp of the objects.',
})
export type ListOrder = Static<typeof ListOrder>

const listQueryProperties = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Number of objects to return, 1 to 100.' }),
  ),
  order: Type.Optional(
    Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
      default: 'desc',
      description: 'Sort order by `created_at`.',
    }),
  ),
  after: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'Object id after which the page starts.' }),
  ),
  before: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'Object id before which the page ends.' }),
  ),
}

/** Cursor pagination query shared by every list endpoint. */
export const ListQuery = Type.Object(listQueryProperties)
export type ListQuery = Static<typeof ListQuery>

/** The properties of ListQuery, for list queries that add their own fields. */
export const LIST_QUERY_PROPERTIES = listQueryProperties

/** A cursor page: `{object:'list', data, first_id, last_id, has_more}`. */
export function ListResponse<T extends TSchema>(item: T) {
  return Type.Object({
    object: Type.Literal('list'),
    data: Type.Array(item),
    first_id: Nullable(Type.String({ description: 'Id of the first object in `data`.' })),
    last_id: Nullable(Type.String({ description: 'Id of the last object in `data`.' })),
    has_more: Type.Boolean({ description: 'Whether more objects follow in the direction of travel.' }),
  })
}

/** A page of T as the store and the wire carry it. */
export type ListPage<T> = {
  object: 'list'
  data: T[]
  first_id: string | null
  last_id: string | null
  has_more: boolean
}

/** The reply to a DELETE: `{id, object: kind, deleted}`. */
export function DeletedObject<K extends string>(kind: K) {
  return Type.Object({ id: Type.String(), object: Type.Literal(kind), deleted: Type.Boolean() })
}

/** The error object carried by an `error` stream event. */
export const ErrorObject = Type.Object({
  code: Nullable(Type.String()),
  message: Type.String(),
  param: Nullable(Type.String()),
  type: Type.String(),
})
export type ErrorObject = Static<typeof ErrorObject>

/** Unix time in seconds. */
export const UnixTime = Type.Integer({ minimum: 0, description: 'Unix timestamp in seconds.' })

/** Nullable Unix time in seconds. */
export const NullableUnixTime = Nullable(UnixTime)

/** Token usage of a run or run step. */
export const Usage = Type.Object({
  completion_tokens: Type.Integer({ minimum: 0, description: 'Completion tokens used.' }),
  prompt_tokens: Type.Integer({ minimum: 0, description: 'Prompt tokens used.' }),
  total_tokens: Type.Integer({ minimum: 0, description: 'Prompt plus completion tokens.' }),
})
export type Usage = Static<typeof Usage>
