import type { SseEvent } from './sse.js'
import type { ErrorEventFrame } from './stream-errors.js'

/** A JSON reply with an explicit status; a handler that returns a plain object means `json(200, object)`. */
export class JsonReply {
  readonly status: number
  readonly body: unknown
  readonly headers: Readonly<Record<string, string>>
  constructor(status: number, body: unknown, headers: Record<string, string> = {}) {
    this.status = status
    this.body = body
    this.headers = headers
  }
}

/** A non-JSON reply (plain text, YAML, metrics). */
export class TextReply {
  readonly status: number
  readonly text: string
  readonly contentType: string
  readonly headers: Readonly<Record<string, string>>
  constructor(status: number, text: string, contentType: string, headers: Record<string, string> = {}) {
    this.status = status
    this.text = text
    this.contentType = contentType
    this.headers = headers
  }
}

/** Options of an SSE reply. */
export type SseOptions = {
  headers?: Record<string, string>
  /** Called once if the client goes away before the stream ends. */
  onDisconnect?: () => void
  /**
   * The stream's last event when its producer throws, from the error mapped like any other (chat: a `data:` event
   * holding the envelope; Assistants: `event: error`). Without it the connection is dropped mid-stream.
   */
  errorEvent?: ErrorEventFrame
}

/** A `200 text/event-stream` reply whose events an async generator produces. */
export class SseReply {
  readonly events: AsyncIterable<SseEvent>
  readonly headers: Readonly<Record<string, string>>
  readonly onDisconnect: (() => void) | undefined
  readonly errorEvent: ErrorEventFrame | undefined
  constructor(events: AsyncIterable<SseEvent>, options: SseOptions = {}) {
    this.events = events
    this.headers = options.headers ?? {}
    this.onDisconnect = options.onDisconnect
    this.errorEvent = options.errorEvent
  }
}

/** A 200 reply whose raw bytes an async iterable produces (file contents), streamed with backpressure. */
export class BytesReply {
  readonly chunks: AsyncIterable<Uint8Array>
  readonly contentType: string
  readonly headers: Readonly<Record<string, string>>
  constructor(chunks: AsyncIterable<Uint8Array>, contentType: string, headers: Record<string, string> = {}) {
    this.chunks = chunks
    this.contentType = contentType
    this.headers = headers
  }
}

/** Any reply a handler can return besides a plain object. */
export type Reply = JsonReply | TextReply | SseReply | BytesReply

/** A JSON reply with a chosen status and optional headers. */
export function json(status: number, body: unknown, headers?: Record<string, string>): JsonReply {
  return new JsonReply(status, body, headers)
}

/** A plain-text-like reply with its content type. */
export function text(
  status: number,
  body: string,
  options: { contentType?: string; headers?: Record<string, string> } = {},
): TextReply {
  return new TextReply(status, body, options.contentType ?? 'text/plain; charset=utf-8', options.headers)
}

/** A server-sent-events reply. */
export function sse(events: AsyncIterable<SseEvent>, options?: SseOptions): SseReply {
  return new SseReply(events, options)
}

/** A raw-bytes reply streamed from chunks (a file's content). */
export function bytes(
  chunks: AsyncIterable<Uint8Array>,
  options: { contentType?: string; headers?: Record<string, string> } = {},
): BytesReply {
  return new BytesReply(chunks, options.contentType ?? 'application/octet-stream', options.headers)
}
