// A strict reader of the Prometheus text exposition format 0.0.4, for tests: it throws on anything the format does
// not allow (bad names or escapes, a sample before its TYPE, a family split in two, a duplicate series,
// non-cumulative histogram buckets, a missing +Inf bucket or one that disagrees with _count).

/** One sample line. */
export type Sample = { name: string; labels: Record<string, string>; value: number }

/** One metric family: its TYPE, HELP and samples in order. */
export type Family = { name: string; type: string; help: string | null; samples: Sample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count', ''],
  counter: [''],
  gauge: [''],
  untyped: [''],
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  if (text === 'NaN') return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`Bad value '${text}' in: ${line}`)
  return Number(text)
}

/** Reads `{a="x",b="y"}` starting at `at` (the brace); returns the labels and the index after the closing brace. */
function parseLabels(line: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  let i = at + 1
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i)
    if (eq < 0) throw new Error(`Bad labels in: ${line}`)
    const name = line.slice(i, eq)
    if (!LABEL.test(name) || name in labels) throw new Error(`Bad or repeated label '${name}' in: ${line}`)
    if (line[eq + 1] !== '"') throw new Error(`Unquoted label value in: ${line}`)
    let value = ''
    let j = eq + 2
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] !== '\\') {
        value += line[j]
        continue
      }
      const next = line[++j]
      if (next === 'n') value += '\n'
      else if (next === '\\' || next === '"') value += next
      else throw new Error(`Bad escape '\\${next ?? ''}' in: ${line}`)
    }
    if (j >= line.length) throw new Error(`Unterminated label value in: ${line}`)
    labels[name] = value
    i = j + 1
    if (line[i] === ',') i++
    else if (line[i] !== '}') throw new Error(`Expected ',' or '}' in: ${line}`)
  }
  return { labels, end: i + 1 }
}

function parseSample(line: string): Sample {
  const nameEnd = line.search(/[{ ]/)
  if (nameEnd <= 0) throw new Error(`Bad sample: ${line}`)
  const name = line.slice(0, nameEnd)
  if (!NAME.test(name)) throw new Error(`Bad metric name '${name}'`)
  let labels: Record<string, string> = {}
  let rest = line.slice(nameEnd)
  if (rest.startsWith('{')) {
    const parsed = parseLabels(line, nameEnd)
    labels = parsed.labels
    rest = line.slice(parsed.end)
  }
  const fields = rest.split(' ')
  if (fields[0] !== '' || fields.length < 2 || fields.length > 3) throw new Error(`Bad sample: ${line}`)
  if (fields.length === 3 && !/^-?\d+$/.test(fields[2] ?? '')) throw new Error(`Bad timestamp in: ${line}`)
  return { name, labels, value: parseValue(fields[1] ?? '', line) }
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ['', '_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue
    const family = families.get(sampleName.slice(0, sampleName.length - suffix.length))
    if (family && (SUFFIXES[family.type] ?? []).includes(suffix)) return family
  }
  return undefined
}

function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>()
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    series.set(key, [...(series.get(key) ?? []), s])
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'))
    let last = -Infinity
    let count = 0
    for (const b of buckets) {
      const le = parseValue(b.labels.le ?? '', `${family.name} le`)
      if (le <= last) throw new Error(`${family.name}: buckets not in ascending le order`)
      if (b.value < count) throw new Error(`${family.name}: buckets not cumulative`)
      last = le
      count = b.value
    }
    if (last !== Infinity) throw new Error(`${family.name}: no le="+Inf" bucket`)
    const total = samples.find((s) => s.name === `${family.name}_count`)
    if (!total || total.value !== count) throw new Error(`${family.name}: _count differs from the +Inf bucket`)
    if (!samples.some((s) => s.name === `${family.name}_sum`)) throw new Error(`${family.name}: no _sum`)
  }
}

/** Parses an exposition; throws with the offending line on any deviation from the format. */
export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('The exposition must end with a newline')
  const families = new Map<string, Family>()
  const seen = new Set<string>()
  let current: Family | null = null
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
    if (meta) {
      const [, kind, name = '', rest = ''] = meta
      if (!NAME.test(name)) throw new Error(`Bad metric name in: ${line}`)
      let family = families.get(name)
      if (family && family !== current) throw new Error(`Family ${name} is split: ${line}`)
      if (!family) {
        family = { name, type: 'untyped', help: null, samples: [] }
        families.set(name, family)
      }
      if (family.samples.length > 0) throw new Error(`${kind} after samples of ${name}`)
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`Bad type in: ${line}`)
        family.type = rest
      } else {
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`Bad escape in HELP: ${line}`)
        family.help = rest
      }
      current = family
      continue
    }
    if (line.startsWith('#')) continue
    const sample = parseSample(line)
    const family = familyOf(sample.name, families)
    if (!family || family !== current) throw new Error(`Sample outside its family's block: ${line}`)
    const key = sample.name + JSON.stringify(Object.entries(sample.labels).sort())
    if (seen.has(key)) throw new Error(`Duplicate series: ${line}`)
    seen.add(key)
    family.samples.push(sample)
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return families
}

/** The value of one series (labels must match exactly), or undefined. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort())
  for (const family of families.values())
    for (const s of family.samples)
      if (s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want) return s.value
  return undefined
}
