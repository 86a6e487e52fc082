/** Why a download failed. */
export type DownloadErrorCode = 'http_status' | 'network' | 'interrupted' | 'size_mismatch' | 'checksum_mismatch'

/** A failed download, with the URL and, for `http_status`, the status. */
export class DownloadError extends Error {
  readonly code: DownloadErrorCode
  readonly url: string
  readonly status: number | null

  constructor(
    code: DownloadErrorCode,
    url: string,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'DownloadError'
    this.code = code
    this.url = url
    this.status = options.status ?? null
  }
}
