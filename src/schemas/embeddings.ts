import { Type, type Static } from 'typebox'

const MAX_INPUTS = 2048
const TokenIds = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 })

/** What to embed: one text or token array, or up to 2048 of them. */
export const EmbeddingInput = Type.Union(
  [
    Type.String({ minLength: 1 }),
    Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: MAX_INPUTS }),
    TokenIds,
    Type.Array(TokenIds, { minItems: 1, maxItems: MAX_INPUTS }),
  ],
  { description: 'A non-empty string or token id array, or an array of at most 2048 of either.' },
)
export type EmbeddingInput = Static<typeof EmbeddingInput>

/** POST /v1/embeddings body. */
export const EmbeddingCreateParams = Type.Object({
  input: EmbeddingInput,
  model: Type.String({ description: 'Id of the model to use.' }),
  encoding_format: Type.Optional(
    Type.Union([Type.Literal('float'), Type.Literal('base64')], {
      description: 'float: arrays of numbers; base64: little-endian float32 bytes in base64.',
    }),
  ),
  dimensions: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Number of dimensions of the output embeddings.' }),
  ),
  user: Type.Optional(Type.String({ description: 'End-user identifier; accepted and ignored.' })),
})
export type EmbeddingCreateParams = Static<typeof EmbeddingCreateParams>

/** One embedding vector. */
export const Embedding = Type.Object({
  object: Type.Literal('embedding'),
  index: Type.Integer({ minimum: 0, description: 'The position of the input this embedding belongs to.' }),
  embedding: Type.Union([Type.Array(Type.Number()), Type.String()], {
    description: 'The vector: numbers, or base64 float32 bytes with `encoding_format: "base64"`.',
  }),
})
export type Embedding = Static<typeof Embedding>

/** POST /v1/embeddings reply. */
export const CreateEmbeddingResponse = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Embedding),
  model: Type.String({ description: 'The model that made the embeddings.' }),
  usage: Type.Object({
    prompt_tokens: Type.Integer({ minimum: 0, description: 'Tokens in the input.' }),
    total_tokens: Type.Integer({ minimum: 0, description: 'Tokens used by the request.' }),
  }),
})
export type CreateEmbeddingResponse = Static<typeof CreateEmbeddingResponse>
