import { RateLimitError } from './errors.js'

/** Settings of a RateLimiter; a limit of 0 turns that dimension off. */
export type RateLimitOptions = {
  /** Requests each caller may make per window. */
  requests: number
  /** Tokens each caller may use per window. */
  tokens: number
  /** The window in ms (default one minute); tests shorten it. */
  windowMs?: number
  /** Callers remembered at most; past this the least recently seen is forgotten (default 100 000). */
  maxCallers?: number
  /** The clock, in ms (tests). */
  now?: () => number
}

/** What an admitted request was charged, for `settle()` once its actual usage is known. */
export type Admission = {
  readonly caller: string
  readonly tokens: number
  /** The `x-ratelimit-*` reply headers as they stand after this request. */
  readonly headers: Record<string, string>
}

// One "theoretical arrival time" per limit (GCRA): the bucket is full once the clock passes it
type Caller = { requests: number; tokens: number }

type Dimension = 'requests' | 'tokens'

// A retry sent exactly Retry-After later may find the clock a hair short of it (timer and clock rounding)
const SLACK_MS = 1

/**
 * Go's duration text, as OpenAI writes `x-ratelimit-reset-*`: `20ms`, `1s`, `8.64s`, `6m0s`, `1h2m3s`.
 */
export function formatReset(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms))
  if (whole < 1000) return `${whole}ms`
  const hours = Math.floor(whole / 3_600_000)
  const minutes = Math.floor((whole % 3_600_000) / 60_000)
  const seconds = `${Number(((whole % 60_000) / 1000).toFixed(3))}s`
  if (hours > 0) return `${hours}h${minutes}m${seconds}`
  return minutes > 0 ? `${minutes}m${seconds}` : seconds
}

/**
 * A request's tokens before it runs: its body at 4 bytes a token (JSON overhead makes this generous) plus the output
 * it asks for at most (`max_tokens`, `max_completion_tokens` or `max_output_tokens`, times `n`).
 */
export function estimateTokens(raw: Uint8Array | null, body: unknown): number {
  const input = Math.ceil((raw?.byteLength ?? 0) / 4)
  if (typeof body !== 'object' || body === null) return input
  const { max_tokens, max_completion_tokens, max_output_tokens, n } = body as Record<string, unknown>
  const cap = max_completion_tokens ?? max_tokens ?? max_output_tokens
  const output = typeof cap === 'number' ? cap * (typeof n === 'number' ? n : 1) : 0
  return input + output
}

/**
 * Per-caller request and token limits as token buckets, each kept as one number (the generic cell rate algorithm):
 * a caller may spend a whole window's allowance at once, which then refills evenly over the window. O(1) per
 * request; memory is bounded, as a caller whose buckets are full again is forgotten (it would start full anyway).
 */
export class RateLimiter {
  #limits: Record<Dimension, number>
  // ms it takes one unit of each dimension to refill
  #interval: Record<Dimension, number>
  #windowMs: number
  #maxCallers: number
  #now: () => number
  // Map order is least recently seen first: each request moves its caller to the end
  #callers = new Map<string, Caller>()

  constructor(options: RateLimitOptions) {
    this.#windowMs = options.windowMs ?? 60_000
    this.#limits = { requests: options.requests, tokens: options.tokens }
    this.#interval = {
      requests: options.requests > 0 ? this.#windowMs / options.requests : 0,
      tokens: options.tokens > 0 ? this.#windowMs / options.tokens : 0,
    }
    this.#maxCallers = options.maxCallers ?? 100_000
    this.#now = options.now ?? Date.now
  }

  /** Callers remembered now (tests). */
  get size(): number {
    return this.#callers.size
  }

  /**
   * Charges one request and `tokens` to a caller, or throws a 429 RateLimitError (with Retry-After and the
   * `x-ratelimit-*` headers) and charges nothing. A request larger than a whole window's tokens can never pass: its
   * 429 says so and tells the SDK not to retry.
   */
  admit(caller: string, tokens: number): Admission {
    const now = this.#now()
    const state = this.#take(caller, now)
    const requests = this.#charge(state.requests, 'requests', 1, now)
    const spent = this.#charge(state.tokens, 'tokens', tokens, now)
    const horizon = now + this.#windowMs + SLACK_MS
    if (requests > horizon) this.#refuse(state, 'requests', 1, requests, now)
    if (tokens > 0 && spent > horizon) this.#refuse(state, 'tokens', tokens, spent, now)
    if (this.#limits.requests > 0) state.requests = requests
    if (this.#limits.tokens > 0) state.tokens = spent
    return { caller, tokens, headers: this.#headers(state, now) }
  }

  /** Replaces an admission's token estimate by the tokens actually used (a refund when fewer). */
  settle(admission: Admission, used: number): void {
    this.charge(admission, used - admission.tokens)
  }

  /** A JSON reply that reports its `usage` (chat, completions, embeddings, responses) replaces the estimate. */
  settleReply(admission: Admission, body: unknown): void {
    const total = (body as { usage?: { total_tokens?: unknown } | null } | null)?.usage?.total_tokens
    if (typeof total === 'number') this.settle(admission, total)
  }

  /** Adds tokens to an admitted request's caller (negative: a refund); never refuses, as the request is admitted. */
  charge(admission: Admission, tokens: number): void {
    if (this.#limits.tokens === 0 || tokens === 0) return
    const now = this.#now()
    const state = this.#take(admission.caller, now)
    state.tokens = Math.max(now, state.tokens + tokens * this.#interval.tokens)
  }

  /** The caller's state, moved to the most recently seen end; idle callers at the other end are forgotten. */
  #take(caller: string, now: number): Caller {
    let state = this.#callers.get(caller)
    if (state) this.#callers.delete(caller)
    else state = { requests: now, tokens: now }
    this.#callers.set(caller, state)
    for (const [name, oldest] of this.#callers) {
      const idle = oldest.requests <= now && oldest.tokens <= now
      if (name === caller || (!idle && this.#callers.size <= this.#maxCallers)) break
      this.#callers.delete(name)
    }
    return state
  }

  /** The bucket's arrival time after spending `cost` units of a dimension (unchanged when it is off). */
  #charge(at: number, dimension: Dimension, cost: number, now: number): number {
    if (this.#limits[dimension] === 0) return at
    return Math.max(at, now) + cost * this.#interval[dimension]
  }

  #refuse(state: Caller, dimension: Dimension, cost: number, after: number, now: number): never {
    const limit = this.#limits[dimension]
    const label = dimension === 'requests' ? 'requests per min (RPM)' : 'tokens per min (TPM)'
    const headers = this.#headers(state, now)
    if (cost > limit) {
      throw new RateLimitError(
        `Request too large: ${label}: Limit ${limit}, Requested ${cost}. Send a smaller request (fewer input ` +
          'tokens or a lower max_tokens).',
        { type: dimension, headers, shouldRetry: false },
      )
    }
    const waitMs = Math.ceil(after - this.#windowMs - now)
    const used = limit - this.#remaining(state[dimension], dimension, now)
    throw new RateLimitError(
      `Rate limit reached for ${label}: Limit ${limit}, Used ${used}, Requested ${cost}. ` +
        `Please try again in ${formatReset(waitMs)}.`,
      { type: dimension, headers, retryAfterMs: waitMs },
    )
  }

  #remaining(at: number, dimension: Dimension, now: number): number {
    const room = this.#windowMs - Math.max(0, at - now)
    return Math.max(0, Math.min(this.#limits[dimension], Math.floor(room / this.#interval[dimension] + 1e-9)))
  }

  #headers(state: Caller, now: number): Record<string, string> {
    const headers: Record<string, string> = {}
    for (const dimension of ['requests', 'tokens'] as const) {
      const limit = this.#limits[dimension]
      if (limit === 0) continue
      headers[`x-ratelimit-limit-${dimension}`] = String(limit)
      headers[`x-ratelimit-remaining-${dimension}`] = String(this.#remaining(state[dimension], dimension, now))
      headers[`x-ratelimit-reset-${dimension}`] = formatReset(state[dimension] - now)
    }
    return headers
  }
}
