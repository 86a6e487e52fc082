import { Type, type Static } from 'typebox'

/** A model the server can run. */
export const Model = Type.Object({
  id: Type.String({ description: 'The model id, used as `model` in requests.' }),
  object: Type.Literal('model'),
  created: Type.Integer({ minimum: 0, description: 'Unix time in seconds when the model was created.' }),
  owned_by: Type.String({ description: 'The owner of the model.' }),
})
export type Model = Static<typeof Model>

/** GET /v1/models reply. */
export const ModelsPage = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Model),
})
export type ModelsPage = Static<typeof ModelsPage>

/** Path of /v1/models/{model}. */
export const ModelPath = Type.Object({
  model: Type.String({ minLength: 1, description: 'The model id.' }),
})
export type ModelPath = Static<typeof ModelPath>
