import { randomBytes } from 'node:crypto'
import type { Engine } from '../engine/engine.js'

/** The fields every object of one reply shares. */
export interface ReplyHead {
  id: string
  created: number
  model: string
  system_fingerprint: string
}

/** The head fields in the wire's order, with the object type. */
export function withObject<O extends string>(head: ReplyHead, object: O): ReplyHead & { object: O } {
  return { id: head.id, object, created: head.created, model: head.model, system_fingerprint: head.system_fingerprint }
}

/** A new reply head: a fresh id with the given prefix (`chatcmpl`, `cmpl`), the time, the model and the build. */
export function replyHead(engine: Engine, { prefix, model }: { prefix: string; model: string }): ReplyHead {
  return {
    id: `${prefix}-${randomBytes(12).toString('base64url')}`,
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: `fp_oxillama_${engine.build}`,
  }
}
