import { BadRequestError } from './errors.js'

/**
 * How deep a request body may nest. JSON.parse takes any depth, but JSON.stringify (the store, replies) and the
 * recursive walks after it overflow the stack at a few thousand levels; real requests (tool schemas included)
 * stay far below this.
 */
export const MAX_JSON_DEPTH = 128

const NUL = '\u0000'
// a high surrogate not followed by a low one, or a low one not preceded by a high one
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Why a string cannot be accepted, or null: a NUL character, or a surrogate without its pair (not Unicode). */
function textProblem(text: string): string | null {
  if (text.includes(NUL)) return 'contains a NUL character (\\u0000)'
  const lone = LONE_SURROGATE.exec(text)
  if (lone)
    return `contains an unpaired surrogate (\\u${lone[0].charCodeAt(0).toString(16)}), which is not Unicode text`
  return null
}

/** Throws a 400 naming `param` when a query or path string holds a NUL character or an unpaired surrogate. */
export function checkSafeText(text: string, param: string): void {
  const problem = textProblem(text)
  if (problem) throw new BadRequestError(`Invalid '${param}': the value ${problem}.`, { param, code: 'invalid_value' })
}

type Node = { value: unknown; key: string | number | null; parent: Node | null; depth: number }

/** The OpenAI-style name of a node (`messages[2].content`), null for the body itself. */
function paramOf(node: Node | null): string | null {
  const keys: Array<string | number> = []
  for (let at = node; at && at.key !== null; at = at.parent) keys.unshift(at.key)
  let param = ''
  for (const key of keys) param += typeof key === 'number' ? `[${key}]` : param === '' ? key : `.${key}`
  return param === '' ? null : param
}

function fail(node: Node | null, message: (subject: string) => string): never {
  const param = paramOf(node)
  throw new BadRequestError(message(param === null ? 'the request body' : `'${param}'`), {
    param,
    code: 'invalid_value',
  })
}

/**
 * Throws a 400 naming the first place in a parsed JSON body that no part of the server should carry: a string
 * (value or object key) with a NUL character or an unpaired surrogate, or nesting deeper than MAX_JSON_DEPTH.
 * Refused rather than escaped, so what a client reads back is what it sent. Iterative: the depth it guards is
 * the one a recursive walk would overflow on.
 */
export function checkSafeJson(body: unknown): void {
  const stack: Node[] = [{ value: body, key: null, parent: null, depth: 0 }]
  for (let node = stack.pop(); node; node = stack.pop()) {
    const { value } = node
    if (typeof value === 'string') {
      const problem = textProblem(value)
      if (problem) fail(node, (subject) => `Invalid ${subject}: the string ${problem}.`)
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (node.depth >= MAX_JSON_DEPTH) {
      let top = node
      while (top.parent?.parent) top = top.parent
      fail(top, (subject) => `Invalid ${subject}: JSON nested more than ${MAX_JSON_DEPTH} levels deep.`)
    }
    const depth = node.depth + 1
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: node, depth })
      continue
    }
    const entries = Object.entries(value)
    for (const [key] of entries) {
      const problem = textProblem(key)
      if (problem) fail(node, (subject) => `Invalid ${subject}: the key ${JSON.stringify(key)} ${problem}.`)
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [string, unknown]
      stack.push({ value: item, key, parent: node, depth })
    }
  }
}
