import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { MODELS_DIR } from './paths.js'

/** One request as the file server saw it. */
export type ServedRequest = { method: string; path: string; range: string | null; authorization: string | null }

/** A local file server for download tests. */
export type ModelFileServer = {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly requests: ServedRequest[]
  /** Requests whose path starts with `prefix`. */
  requestsTo(prefix: string): ServedRequest[]
  close(): Promise<void>
}

/** Options for startModelFileServer(). */
export type ModelFileServerOptions = {
  root?: string
  /** Origin that `/elsewhere/<file>` redirects to. */
  elsewhere?: string
  /** Share of the body `/cut/<file>` sends before it drops the connection (default 0.4). */
  cutFraction?: number
}

/**
 * Serves files from the shared models folder on 127.0.0.1:0:
 * `/files/<f>` with Range support; `/redirect/<f>` and `/elsewhere/<f>` redirect to it;
 * `/cut/<f>` drops the first connection per file part-way; `/norange/<f>` ignores Range;
 * `/test/models/resolve/main/<f>` redirects like Hugging Face; `/test/private/resolve/main/<f>` needs
 * `Bearer secret`; anything else is 404.
 */
export async function startModelFileServer(options: ModelFileServerOptions = {}): Promise<ModelFileServer> {
  const root = options.root ?? MODELS_DIR
  const requests: ServedRequest[] = []
  const cutDone = new Set<string>()
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      range: req.headers.range ?? null,
      authorization: req.headers.authorization ?? null,
    })
    handle(url.pathname, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  })

  async function handle(pathname: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [, route = '', ...rest] = pathname.split('/')
    const rel = rest.map(decodeURIComponent).join('/')
    if (route === 'files') return serveFile(await resolveFile(root, rel), req, res, { ranges: true, cut: null })
    if (route === 'norange') return serveFile(await resolveFile(root, rel), req, res, { ranges: false, cut: null })
    if (route === 'redirect') return redirect(res, `/files/${rest.join('/')}`)
    if (route === 'elsewhere' && options.elsewhere !== undefined) {
      return redirect(res, `${options.elsewhere}/files/${rest.join('/')}`)
    }
    if (route === 'cut') {
      const cut = req.method === 'GET' && !cutDone.has(rel) ? (options.cutFraction ?? 0.4) : null
      if (cut !== null) cutDone.add(rel)
      return serveFile(await resolveFile(root, rel), req, res, { ranges: true, cut })
    }
    if (route === 'test' && rest[1] === 'resolve' && rest[2] === 'main') {
      const file = rest.slice(3).map(decodeURIComponent).join('/')
      if (rest[0] === 'models') return redirect(res, `/files/${rest.slice(3).join('/')}`)
      if (rest[0] === 'private') {
        if (req.headers.authorization !== 'Bearer secret') return void res.writeHead(401).end('Unauthorized')
        return serveFile(await resolveFile(root, file), req, res, { ranges: true, cut: null })
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found')
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

async function resolveFile(root: string, rel: string): Promise<string | null> {
  const file = path.resolve(root, rel)
  if (!file.startsWith(root + path.sep)) return null
  const info = await stat(file).catch(() => null)
  return info?.isFile() === true ? file : null
}

function redirect(res: http.ServerResponse, location: string): void {
  res.writeHead(302, { location }).end()
}

async function serveFile(
  file: string | null,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  mode: { ranges: boolean; cut: number | null },
): Promise<void> {
  if (file === null) return void res.writeHead(404).end('Entry not found')
  const size = (await stat(file)).size
  let start = 0
  const match = mode.ranges ? /^bytes=(\d+)-$/.exec(req.headers.range ?? '') : null
  if (match !== null) {
    start = Number(match[1])
    if (start >= size) {
      return void res.writeHead(416, { 'content-range': `bytes */${size}` }).end()
    }
    res.writeHead(206, { 'content-length': size - start, 'content-range': `bytes ${start}-${size - 1}/${size}` })
  } else {
    res.writeHead(200, { 'content-length': size, 'accept-ranges': mode.ranges ? 'bytes' : 'none' })
  }
  if (req.method === 'HEAD') return void res.end()
  if (mode.cut !== null) {
    // Send part of the body, then drop the socket as a broken connection would
    const bytes = (await readFile(file)).subarray(start, start + Math.floor((size - start) * mode.cut))
    res.write(bytes, () => setTimeout(() => res.destroy(), 20))
    return
  }
  createReadStream(file, { start }).pipe(res)
}
