import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { REPO_ROOT } from '../helpers/paths.js'

// Which src/ layers each layer may import (style.md section 2); top-level files (app, main, config) may import all.
// `limits` is a leaf of plain constants (request bounds) that the server's layers may import; it imports nothing.
// `metrics` is a leaf too (the Prometheus registry): app.ts feeds it from hooks, the /metrics route renders it.
const ALLOWED: Record<string, readonly string[]> = {
  limits: [],
  metrics: [],
  schemas: ['limits'],
  http: ['schemas', 'limits'],
  transports: ['http', 'limits'],
  engine: ['limits'],
  acquire: [], // model acquisition imports nothing from the server
  store: ['schemas', 'limits'],
  runs: ['engine', 'store', 'schemas', 'limits'],
  api: ['http', 'schemas', 'engine', 'store', 'runs', 'limits', 'metrics'],
}
const SRC = path.join(REPO_ROOT, 'src')

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : []
  })
}

function layerOf(file: string): string | null {
  const rel = path.relative(SRC, file).split(path.sep)
  return rel.length > 1 ? (rel[0] ?? null) : null
}

function relativeImports(file: string): { target: string; typeOnly: boolean }[] {
  const text = fs.readFileSync(file, 'utf8')
  const found: { target: string; typeOnly: boolean }[] = []
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'/gm)) {
    found.push({
      target: path.resolve(path.dirname(file), (m[3] ?? '').replace(/\.js$/, '.ts')),
      typeOnly: Boolean(m[2]),
    })
  }
  return found
}

const files = sourceFiles(SRC)

t.test('every import between src/ layers points the allowed way', async (t) => {
  const bad: string[] = []
  for (const file of files) {
    const from = layerOf(file)
    if (!from) continue
    for (const { target, typeOnly } of relativeImports(file)) {
      const to = layerOf(target)
      if (target.startsWith(SRC) && to === null)
        bad.push(`${path.relative(SRC, file)} imports top-level ${path.relative(SRC, target)}`)
      if (!to || to === from) continue
      // the store sees schemas only as types
      if (from === 'store' && to === 'schemas' && !typeOnly)
        bad.push(`${path.relative(SRC, file)} imports schemas as values`)
      if (!(ALLOWED[from] ?? []).includes(to))
        bad.push(`${path.relative(SRC, file)} (${from}) imports ${path.relative(SRC, target)} (${to})`)
    }
  }
  t.same(bad, [], 'no forbidden edges')
})

t.test('src/ has no import cycles', async (t) => {
  const graph = new Map(
    files.map((f) => [
      f,
      relativeImports(f)
        .filter((i) => !i.typeOnly)
        .map((i) => i.target)
        .filter((x) => files.includes(x)),
    ]),
  )
  const state = new Map<string, 'visiting' | 'done'>()
  const cycles: string[] = []
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(SRC, f)).join(' -> '))
      return
    }
    state.set(file, 'visiting')
    for (const next of graph.get(file) ?? []) visit(next, [...trail, file])
    state.set(file, 'done')
  }
  for (const file of files) visit(file, [])
  t.same(cycles, [], 'no cycles')
})

t.test('no barrel index.ts re-export files', async (t) => {
  t.same(
    files.filter((f) => path.basename(f) === 'index.ts').map((f) => path.relative(SRC, f)),
    [],
  )
})
