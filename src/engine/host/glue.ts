// wllama ships its binary message serializer only as TypeScript source; esbuild and tsx compile it in place, and
// types/wllama-glue.d.ts gives tsc its types.
import { glueDeserialize as deserialize, glueSerialize as serialize } from '@wllama/wllama/src/glue/glue'

/** A glue message: `_name` picks the prototype, the other fields are its values. */
export type GlueMessage = { _name: string } & Record<string, unknown>

/** Encodes a glue message for wllama_action. */
export function glueSerialize(message: GlueMessage): Uint8Array {
  return serialize(message)
}

/** Decodes wllama_action's output. */
export function glueDeserialize(bytes: Uint8Array): GlueMessage {
  return deserialize(bytes)
}
