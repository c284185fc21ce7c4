/**
 * The metric registry: portsyncd's counters, gauges and histograms, named as
 * Prometheus names them (`portsyncd_…`, counters end in `_total`, the unit
 * in the name), each with help text and a **rule-facing short name**
 * (`events_total`, `ports_oper_down`, `latency_p99_us`) by which the
 * alerting engine reads it through {@linkcode MetricRegistry.value}.
 *
 * Nothing is stored here: every metric reads its source (an observer's
 * field, a map of ports) when it is scraped or evaluated, so the event path
 * only increments fields. The exposition text is prom-client's, from a
 * registry of its own (not prom-client's global one).
 * @module
 */

import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * How a metric is exposed: a Prometheus counter, gauge or histogram, or
 * `value` for a rule-facing value with no Prometheus series (a percentile or
 * a rate that Prometheus computes itself from the histogram or the counter).
 */
export type MetricKind = "counter" | "gauge" | "histogram" | "value";

/** A metric as documented: what `describe()` lists and the README table shows. */
export interface MetricInfo {
  /** Rule-facing short name, unique in the registry. */
  rule: string;
  /** Prometheus name, or null for a rule-only `value`. */
  name: string | null;
  /** How it is exposed. */
  kind: MetricKind;
  /** The one label of a labelled metric (`port`, `version`), or null. */
  label: string | null;
  /** Help text (the `# HELP` line). */
  help: string;
}

/** What a counter or gauge is registered with. */
export interface MetricSpec {
  /** Prometheus name, `portsyncd_…`; counters end in `_total`. */
  name: string;
  /** Rule-facing short name. */
  rule: string;
  /** Help text. */
  help: string;
}

/** A gauge with one label, one series per label value. */
export interface LabelledSpec extends MetricSpec {
  /** The label's name, e.g. `port`. */
  label: string;
}

/** A rule-only value. */
export interface ValueSpec {
  /** Rule-facing short name. */
  rule: string;
  /** What it means. */
  help: string;
}

/**
 * A histogram's data, kept by its owner as plain fields and read at scrape
 * time. `counts` are per bucket, not cumulative, with one more entry than
 * `bounds` (the observations above the last bound).
 */
export interface HistogramSource {
  /** Upper bounds of the buckets, ascending, without `+Inf`. */
  readonly bounds: readonly number[];
  /** Observations per bucket; `bounds.length + 1` entries. */
  readonly counts: ArrayLike<number>;
  /** Sum of the observed values. */
  readonly sum: number;
  /** Number of observations. */
  readonly count: number;
}

/** One series of a metric: its labels and current value. */
export interface Sample {
  /** Label values by label name (empty for an unlabelled metric). */
  labels: Record<string, string>;
  /** Current value. */
  value: number;
}

/** Raised by `value()` and `series()` for a rule name nobody registered. */
export class UnknownMetricError extends Error {
  /** Creates the error for rule name `rule`. */
  constructor(rule: string) {
    super(`unknown metric "${rule}"`);
    this.name = "UnknownMetricError";
  }
}

interface Entry {
  info: MetricInfo;
  /** Unlabelled: the value now. */
  read?: () => number;
  /** Labelled: the values now, by label value. */
  byLabel?: () => ReadonlyMap<string, number>;
  /** Several labels: every series now. */
  samples?: () => Iterable<Sample>;
}

type Values = Awaited<ReturnType<Histogram["get"]>>;

/**
 * A prom-client histogram whose buckets are counted by its owner (plain
 * array increments on the event path, several observations at once) and
 * read when scraped: prom-client's own `observe()` costs ~140 ns per value
 * and takes one value at a time. prom-client's registry formats it like any
 * histogram (it reads `getForPromString()`, `get()` for JSON).
 */
class SourcedHistogram extends Histogram {
  readonly #spec: MetricSpec;
  readonly #source: HistogramSource;

  constructor(spec: MetricSpec, source: HistogramSource) {
    super({
      name: spec.name,
      help: spec.help,
      buckets: [...source.bounds],
      registers: [],
    });
    this.#spec = spec;
    this.#source = source;
  }

  override get(): Promise<Values> {
    return Promise.resolve(this.#values());
  }

  getForPromString(): Promise<Values> {
    return this.get();
  }

  #values(): Values {
    const { bounds, counts, sum, count } = this.#source;
    const { name, help } = this.#spec;
    const values: Values["values"] = [];
    const bucket = `${name}_bucket`;
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += counts[i];
      values.push({
        labels: { le: bounds[i] },
        value: cumulative,
        metricName: bucket,
      });
    }
    values.push(
      { labels: { le: "+Inf" }, value: count, metricName: bucket },
      { labels: {}, value: sum, metricName: `${name}_sum` },
      { labels: {}, value: count, metricName: `${name}_count` },
    );
    return {
      name,
      help,
      // prom-client's typings declare `type` as a numeric enum its JS never
      // exports; the registry writes the string it finds here.
      type: "histogram" as unknown as Values["type"],
      aggregator: "sum",
      values,
      collect: () => {},
    };
  }
}

/**
 * The registry of portsyncd's metrics (see the module doc).
 *
 * @example
 * ```ts
 * import { MetricRegistry } from "./registry.ts";
 * const registry = new MetricRegistry();
 * let events = 0;
 * registry.counter({
 *   name: "portsyncd_events_total",
 *   rule: "events_total",
 *   help: "Link messages handled.",
 * }, () => events);
 * events += 3;
 * registry.value("events_total"); // 3
 * const text = await registry.metrics(); // "# HELP portsyncd_events_total …"
 * ```
 */
export class MetricRegistry {
  /** prom-client's registry (exposition only). */
  readonly #prometheus: Registry = new Registry();
  readonly #entries = new Map<string, Entry>();
  readonly #names = new Set<string>();

  /** The `Content-Type` of {@linkcode MetricRegistry.metrics}' text. */
  get contentType(): string {
    return this.#prometheus.contentType;
  }

  /** Registers a counter whose value is `read()` (monotonic, ≥ 0). */
  counter(spec: MetricSpec, read: () => number): void {
    if (!spec.name.endsWith("_total")) {
      throw new Error(`counter ${spec.name}: name must end in _total`);
    }
    this.#add({ spec, kind: "counter", label: null }, { read });
    this.#prometheus.registerMetric(
      new Counter({
        name: spec.name,
        help: spec.help,
        registers: [],
        collect() {
          this.reset();
          const value = read();
          if (Number.isFinite(value) && value > 0) this.inc(value);
        },
      }),
    );
  }

  /** Registers a gauge whose value is `read()`. */
  gauge(spec: MetricSpec, read: () => number): void {
    this.#add({ spec, kind: "gauge", label: null }, { read });
    this.#prometheus.registerMetric(
      new Gauge({
        name: spec.name,
        help: spec.help,
        registers: [],
        collect() {
          this.set(read());
        },
      }),
    );
  }

  /**
   * Registers a gauge with one label: one series per entry of the map
   * `read()` returns (label value → value), e.g. one per port.
   */
  labelledGauge(
    spec: LabelledSpec,
    read: () => ReadonlyMap<string, number>,
  ): void {
    this.#add({ spec, kind: "gauge", label: spec.label }, { byLabel: read });
    const label = spec.label;
    this.#prometheus.registerMetric(
      new Gauge({
        name: spec.name,
        help: spec.help,
        labelNames: [label],
        registers: [],
        collect() {
          this.reset();
          for (const [key, value] of read()) this.set({ [label]: key }, value);
        },
      }),
    );
  }

  /**
   * Registers a gauge with several labels (e.g. `rule`, `severity`,
   * `port`): one series per sample `read()` yields. `value(rule, labels)`
   * finds the sample whose labels are all equal to `labels`.
   */
  seriesGauge(
    spec: MetricSpec & { labels: string[] },
    read: () => Iterable<Sample>,
  ): void {
    this.#add({ spec, kind: "gauge", label: spec.labels.join(",") }, {
      samples: read,
    });
    this.#prometheus.registerMetric(
      new Gauge({
        name: spec.name,
        help: spec.help,
        labelNames: spec.labels,
        registers: [],
        collect() {
          this.reset();
          for (const sample of read()) this.set(sample.labels, sample.value);
        },
      }),
    );
  }

  /**
   * Registers a histogram read from `source` at scrape time. Its rule name
   * reads the number of observations.
   */
  histogram(spec: MetricSpec, source: HistogramSource): void {
    this.#add({ spec, kind: "histogram", label: null }, {
      read: () => source.count,
    });
    this.#prometheus.registerMetric(new SourcedHistogram(spec, source));
  }

  /** Registers a rule-only value (no Prometheus series). */
  ruleValue(spec: ValueSpec, read: () => number): void {
    this.#add({ spec: { ...spec, name: null }, kind: "value", label: null }, {
      read,
    });
  }

  /** True when a metric has rule name `rule`. */
  has(rule: string): boolean {
    return this.#entries.has(rule);
  }

  /** Every metric, in registration order. */
  describe(): MetricInfo[] {
    return [...this.#entries.values()].map((entry) => ({ ...entry.info }));
  }

  /**
   * The current value of the metric with rule name `rule`. For a labelled
   * metric, the value of the series `labels` names (undefined when there is
   * no such series, or no label was given: see `series()`). Throws
   * `UnknownMetricError` for an unknown rule name.
   */
  value(rule: string, labels?: Record<string, string>): number | undefined {
    const entry = this.#entry(rule);
    if (entry.read !== undefined) return entry.read();
    if (entry.samples !== undefined) {
      for (const sample of entry.samples()) {
        if (sameLabels(sample.labels, labels ?? {})) return sample.value;
      }
      return undefined;
    }
    const key = labels?.[entry.info.label!];
    return key === undefined ? undefined : entry.byLabel!().get(key);
  }

  /**
   * The series of a per-port metric (a gauge labelled `port`) as the map
   * its source keeps, port → value, without copying it: read it at once
   * and do not keep it. Undefined for a metric of another shape (read
   * `series()`). Throws `UnknownMetricError` for an unknown rule name.
   */
  byPort(rule: string): ReadonlyMap<string, number> | undefined {
    const entry = this.#entry(rule);
    if (entry.byLabel === undefined || entry.info.label !== "port") {
      return undefined;
    }
    return entry.byLabel();
  }

  /** Every series of the metric with rule name `rule` (one when unlabelled). */
  series(rule: string): Sample[] {
    const entry = this.#entry(rule);
    if (entry.read !== undefined) return [{ labels: {}, value: entry.read() }];
    if (entry.samples !== undefined) return [...entry.samples()];
    const label = entry.info.label!;
    return [...entry.byLabel!()].map(([key, value]) => ({
      labels: { [label]: key },
      value,
    }));
  }

  /**
   * The text exposition of every Prometheus metric. Every collect is a
   * synchronous read of fields, so the promise settles without waiting on
   * any I/O.
   */
  metrics(): Promise<string> {
    return this.#prometheus.metrics();
  }

  #entry(rule: string): Entry {
    const entry = this.#entries.get(rule);
    if (entry === undefined) throw new UnknownMetricError(rule);
    return entry;
  }

  #add(
    what: {
      spec: { rule: string; help: string; name: string | null };
      kind: MetricKind;
      label: string | null;
    },
    source: Omit<Entry, "info">,
  ): void {
    const { spec, kind, label } = what;
    if (this.#entries.has(spec.rule)) {
      throw new Error(`metric rule name ${spec.rule} is already registered`);
    }
    if (spec.name !== null) {
      if (this.#names.has(spec.name)) {
        throw new Error(`metric ${spec.name} is already registered`);
      }
      this.#names.add(spec.name);
    }
    this.#entries.set(spec.rule, {
      info: { rule: spec.rule, name: spec.name, kind, label, help: spec.help },
      ...source,
    });
  }
}

function sameLabels(
  a: Record<string, string>,
  b: Record<string, string>,
): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => a[key] === b[key]);
}
