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
  throw new BadRequestError(message(param === null ? 'request body' : `'${param}'`), {
    param,
    code: 'invalid_value',
  })
}

function isUnsafeText(text: string): boolean {
  return text.includes(NUL) || LONE_SURROGATE.test(text)
}

/** True when the value is within MAX_JSON_DEPTH and, with `strings`, no string or key holds unsafe text. */
function isSafe(body: unknown, strings: boolean): boolean {
  const values: unknown[] = [body]
  const depths: number[] = [0]
  while (values.length > 0) {
    const value = values.pop()
    const depth = depths.pop() ?? 0
    if (typeof value === 'string') {
      if (strings && isUnsafeText(value)) return false
      continue
    }
    if (value === null || typeof value !== 'object') continue
    if (depth >= MAX_JSON_DEPTH) return false
    if (Array.isArray(value)) {
      for (const item of value) {
        values.push(item)
        depths.push(depth + 1)
      }
      continue
    }
    for (const key in value) {
      if (strings && isUnsafeText(key)) return false
      values.push((value as Record<string, unknown>)[key])
      depths.push(depth + 1)
    }
  }
  return true
}

/** Finds and throws the first problem in document order, naming where it is; the slow path, once a body fails. */
function report(body: unknown, strings: boolean): never {
  const stack: Node[] = [{ value: body, key: null, parent: null, depth: 0 }]
  for (let node = stack.pop(); node; node = stack.pop()) {
    const { value } = node
    if (typeof value === 'string') {
      const problem = strings ? textProblem(value) : null
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
      const problem = strings ? textProblem(key) : null
      if (problem) fail(node, (subject) => `Invalid ${subject}: the key ${JSON.stringify(key)} ${problem}.`)
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [string, unknown]
      stack.push({ value: item, key, parent: node, depth })
    }
  }
  throw new Error('Cannot locate the unsafe part of a body that failed the check')
}

// In JSON text NUL and surrogates can only come as escapes: raw control characters are not JSON and raw
// surrogates are not UTF-8, both refused before this. No such escape: no string needs a look.
const SUSPECT_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/

/**
 * Throws a 400 naming the first place in a parsed JSON body that no part of the server should carry: a string
 * (value or object key) with a NUL character or an unpaired surrogate, or nesting deeper than MAX_JSON_DEPTH.
 * Refused rather than escaped, so what a client reads back is what it sent. Given the body's JSON text, strings
 * are looked at only when it holds a NUL or surrogate escape. Iterative: the depth it guards is the one a
 * recursive walk would overflow on.
 */
export function checkSafeJson(body: unknown, text?: string): void {
  const strings = text === undefined || SUSPECT_ESCAPE.test(text)
  if (!strings && text !== undefined && text.length <= 2 * MAX_JSON_DEPTH) return // too short to nest that deep
  if (!isSafe(body, strings)) report(body, strings)
}
