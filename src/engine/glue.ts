// wllama ships its binary message serializer only as TypeScript source; esbuild and tsx compile it in place.
// @ts-expect-error TS5097: a .ts import path, allowed here on purpose
import { glueDeserialize as deserialize, glueSerialize as serialize } from '@wllama/wllama/src/glue/glue.ts'

/** A glue message: `_name` picks the prototype, the other fields are its values. */
export type GlueMessage = { _name: string } & Record<string, unknown>

/** Encodes a glue message for wllama_action. */
export function glueSerialize(message: GlueMessage): Uint8Array {
  return (serialize as (m: GlueMessage) => Uint8Array)(message)
}

/** Decodes wllama_action's output. */
export function glueDeserialize(bytes: Uint8Array): GlueMessage {
  return (deserialize as (b: Uint8Array) => GlueMessage)(bytes)
}
