import { Type, type Static } from 'typebox'

const TokenId = Type.Integer({ minimum: 0 })

/** POST /tokenize body (llama-server). */
export const TokenizeParams = Type.Object({
  content: Type.String({ description: 'The text to tokenize.' }),
  add_special: Type.Optional(Type.Boolean({ description: "Add the model's special tokens (such as BOS)." })),
  with_pieces: Type.Optional(Type.Boolean({ description: 'Return `{id, piece}` objects instead of bare token ids.' })),
})
export type TokenizeParams = Static<typeof TokenizeParams>

/** A token with its text (or its bytes when they are not valid UTF-8 on their own). */
export const TokenPiece = Type.Object({
  id: TokenId,
  piece: Type.Union([Type.String(), Type.Array(Type.Integer({ minimum: 0, maximum: 255 }))], {
    description: 'The token text, or its bytes when they are not valid UTF-8 on their own.',
  }),
})
export type TokenPiece = Static<typeof TokenPiece>

/** POST /tokenize reply. */
export const TokenizeResponse = Type.Object({
  tokens: Type.Union([Type.Array(TokenId), Type.Array(TokenPiece)], {
    description: 'Token ids, or `{id, piece}` with `with_pieces`.',
  }),
})
export type TokenizeResponse = Static<typeof TokenizeResponse>

/** POST /detokenize body (llama-server). */
export const DetokenizeParams = Type.Object({
  tokens: Type.Array(TokenId, { description: 'The token ids to turn back into text.' }),
})
export type DetokenizeParams = Static<typeof DetokenizeParams>

/** POST /detokenize reply. */
export const DetokenizeResponse = Type.Object({
  content: Type.String({ description: 'The text of the tokens.' }),
})
export type DetokenizeResponse = Static<typeof DetokenizeResponse>
