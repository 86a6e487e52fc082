/** The content type of the Prometheus text exposition format this registry renders. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** What every metric family is declared with: a name, its help line, and the names of its labels. */
export type MetricOptions = {
  name: string
  help: string
  labelNames?: readonly string[]
}

/** A histogram's declaration: its upper bucket bounds, ascending (`+Inf` is added). */
export type HistogramOptions = MetricOptions & { buckets: readonly number[] }

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** A sample value as the format writes it: `+Inf`, `-Inf`, `NaN` or a JavaScript number. */
function formatValue(value: number): string {
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return Number.isNaN(value) ? 'NaN' : String(value)
}

/** One series' label set as written between braces, without them (`method="GET",route="/health"`). */
function labelText(names: readonly string[], values: readonly string[]): string {
  return names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? '')}"`).join(',')
}

/** Series by their label values; the label text is rendered once, when a series is first used. */
abstract class Family<S> {
  readonly name: string
  readonly help: string
  readonly labelNames: readonly string[]
  abstract readonly type: 'counter' | 'gauge' | 'histogram'
  #series = new Map<string, { labels: string; state: S }>()

  constructor(options: MetricOptions) {
    if (!METRIC_NAME.test(options.name)) throw new TypeError(`Cannot declare metric '${options.name}': bad name`)
    for (const label of options.labelNames ?? [])
      if (!LABEL_NAME.test(label) || label === 'le' || label.startsWith('__'))
        throw new TypeError(`Cannot declare metric '${options.name}': bad label name '${label}'`)
    this.name = options.name
    this.help = options.help
    this.labelNames = options.labelNames ?? []
  }

  protected abstract fresh(): S
  protected abstract lines(labels: string, state: S): string[]

  /** The state of the series with these label values (one per label name, in order), created on first use. */
  protected series(values: readonly string[]): S {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000')
    let found = this.#series.get(key)
    if (!found) {
      if (values.length !== this.labelNames.length)
        throw new TypeError(`Cannot use metric '${this.name}': expected ${this.labelNames.length} label values`)
      found = { labels: labelText(this.labelNames, values), state: this.fresh() }
      this.#series.set(key, found)
    }
    return found.state
  }

  /** The family in the text format: HELP, TYPE, then one line per sample. */
  render(): string {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`]
    for (const { labels, state } of this.#series.values()) out.push(...this.lines(labels, state))
    return out.join('\n') + '\n'
  }
}

type Value = { value: number }

function valueLine(name: string, labels: string, value: number): string {
  return labels ? `${name}{${labels}} ${formatValue(value)}` : `${name} ${formatValue(value)}`
}

/**
 * A family with one number per series (counters and gauges); a series without labels starts at 0 so it shows
 * before use.
 */
abstract class ValueFamily extends Family<Value> {
  constructor(options: MetricOptions) {
    super(options)
    if (this.labelNames.length === 0) this.series([])
  }

  protected fresh(): Value {
    return { value: 0 }
  }

  protected lines(labels: string, state: Value): string[] {
    return [valueLine(this.name, labels, state.value)]
  }
}

/** A value that only goes up (requests, tokens). */
export class Counter extends ValueFamily {
  readonly type = 'counter'

  /** Adds to the series with these label values. */
  inc(values: readonly string[] = [], by = 1): void {
    if (by < 0) throw new RangeError(`Cannot decrease counter '${this.name}'`)
    this.series(values).value += by
  }

  /** The series with these label values, bound: for a hot path that adds to the same series again and again. */
  child(values: readonly string[]): { inc(by?: number): void } {
    const state = this.series(values)
    return {
      inc: (by = 1) => {
        if (by < 0) throw new RangeError(`Cannot decrease counter '${this.name}'`)
        state.value += by
      },
    }
  }

  /** Sets the total of a count kept elsewhere (the engine's restarts), read at scrape time. */
  setTotal(values: readonly string[], total: number): void {
    this.series(values).value = total
  }
}

/** A value that goes up and down (queue depth, memory), usually set at scrape time. */
export class Gauge extends ValueFamily {
  readonly type = 'gauge'

  /** Sets the series with these label values. */
  set(values: readonly string[], value: number): void {
    this.series(values).value = value
  }
}

type Buckets = { counts: Float64Array; sum: number; count: number }

/** Observations counted into buckets (latencies, speeds); rendered cumulative, with `_sum` and `_count`. */
export class Histogram extends Family<Buckets> {
  readonly type = 'histogram'
  readonly buckets: readonly number[]
  readonly #bounds: string[]

  constructor(options: HistogramOptions) {
    super(options)
    const sorted = options.buckets.every((b, i) => i === 0 || b > (options.buckets[i - 1] as number))
    if (!sorted || options.buckets.length === 0)
      throw new TypeError(`Cannot declare histogram '${options.name}': buckets must be ascending`)
    this.buckets = options.buckets
    this.#bounds = [...options.buckets.map(formatValue), '+Inf']
  }

  /** Records one observation in the series with these label values. */
  observe(values: readonly string[], value: number): void {
    this.#record(this.series(values), value)
  }

  /** The series with these label values, bound: for a hot path that observes the same series again and again. */
  child(values: readonly string[]): { observe(value: number): void } {
    const state = this.series(values)
    return { observe: (value) => this.#record(state, value) }
  }

  #record(state: Buckets, value: number): void {
    const { buckets } = this
    let i = 0
    while (i < buckets.length && value > (buckets[i] as number)) i++
    state.counts[i] = (state.counts[i] as number) + 1
    state.sum += value
    state.count++
  }

  protected fresh(): Buckets {
    return { counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 }
  }

  protected lines(labels: string, state: Buckets): string[] {
    const prefix = labels ? `${labels},` : ''
    const out: string[] = []
    let cumulative = 0
    for (let i = 0; i < this.#bounds.length; i++) {
      cumulative += state.counts[i] as number
      out.push(`${this.name}_bucket{${prefix}le="${this.#bounds[i] as string}"} ${cumulative}`)
    }
    out.push(valueLine(`${this.name}_sum`, labels, state.sum), valueLine(`${this.name}_count`, labels, state.count))
    return out
  }
}

/** The metric families of one server, in declaration order, and the collectors that refresh them at scrape time. */
export class MetricsRegistry {
  #families: (Counter | Gauge | Histogram)[] = []
  #collectors: (() => void | Promise<void>)[] = []

  /** Declares a counter. */
  counter(options: MetricOptions): Counter {
    return this.#add(new Counter(options))
  }

  /** Declares a gauge. */
  gauge(options: MetricOptions): Gauge {
    return this.#add(new Gauge(options))
  }

  /** Declares a histogram. */
  histogram(options: HistogramOptions): Histogram {
    return this.#add(new Histogram(options))
  }

  /** Adds a function that updates metrics just before each render (gauges read from live state). */
  onCollect(collector: () => void | Promise<void>): void {
    this.#collectors.push(collector)
  }

  /** Runs the collectors, then renders every family in the text exposition format. */
  async render(): Promise<string> {
    for (const collect of this.#collectors) await collect()
    return this.#families.map((family) => family.render()).join('')
  }

  #add<F extends Counter | Gauge | Histogram>(family: F): F {
    if (this.#families.some((f) => f.name === family.name))
      throw new TypeError(`Cannot declare metric '${family.name}': it exists`)
    this.#families.push(family)
    return family
  }
}
