import { Type, type Static, type TSchema } from 'typebox'
import { ObjectIdOf, type ObjectIdPrefix } from './ids.js'

/** Wire `X | null`: a required key whose value may be `null`. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()])
}

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

function pageProperties<Cursor extends TSchema>(after: Cursor, before: Cursor) {
  return {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Number of objects to return, 1 to 100.' }),
    ),
    order: Type.Optional(
      Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
        default: 'desc',
        description: 'Sort order by `created_at`.',
      }),
    ),
    after: Type.Optional(after),
    before: Type.Optional(before),
  }
}

/** Cursor pagination query as the store takes it (cursors already checked as ids of the listed kind). */
export const ListQuery = Type.Object(pageProperties(Type.String({ minLength: 1 }), Type.String({ minLength: 1 })))
export type ListQuery = Static<typeof ListQuery>

/** The pagination query properties of a list of objects whose ids have this prefix; its cursors are such ids. */
export function listQueryProperties(prefix: ObjectIdPrefix) {
  return pageProperties(
    ObjectIdOf(prefix, 'Object id after which the page starts.'),
    ObjectIdOf(prefix, 'Object id before which the page ends.'),
  )
}

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
