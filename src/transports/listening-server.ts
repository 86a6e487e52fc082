/** What each transport's start function gives back to `startHttpServer()`. */
export type ListeningServer = {
  readonly port: number
  /** Requests being read, handled or streamed right now. */
  readonly active: number
  /** Stops accepting connections (and drops idle keep-alive ones where the library can). */
  stopAccepting(): void
  /** Drops every remaining connection; in-flight requests see their signal abort. */
  closeAll(): void
}
