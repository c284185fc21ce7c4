/**
 * Per-event latency (netlink receipt to store acknowledgement), recorded
 * twice with plain field updates: in fixed buckets for the Prometheus
 * histogram `portsyncd_event_latency_seconds` (cumulative since start, as
 * Prometheus wants), and in HDR histograms (hdr-histogram-js) for the
 * P50/P95/P99/max the health report and the alert rules read, over a
 * sliding window so that a slow minute long ago does not stay in today's
 * P99. No sample arrays: memory is fixed whatever the event rate.
 * @module
 */

import { build, type Histogram as Hdr } from "hdr-histogram-js";
import type { HistogramSource } from "./registry.ts";

/**
 * Upper bounds of `portsyncd_event_latency_seconds`' buckets: 1-2-5 steps
 * from 10 µs to 60 s.
 */
export const LATENCY_BOUNDS_SECONDS: readonly number[] = [
  0.00001,
  0.00002,
  0.00005,
  0.0001,
  0.0002,
  0.0005,
  0.001,
  0.002,
  0.005,
  0.01,
  0.02,
  0.05,
  0.1,
  0.2,
  0.5,
  1,
  2,
  5,
  10,
  30,
  60,
];

/**
 * Largest latency the HDR histograms hold (1 h, in µs); longer ones are
 * recorded as 1 h (the Prometheus buckets count them above 60 s).
 */
export const HDR_HIGHEST_US = 3_600_000_000;

/**
 * Significant decimal digits of the HDR histograms: values up to 255 µs are
 * exact, larger ones within 1/128 (0.8%).
 */
export const HDR_DIGITS = 2;

/** Event latency percentiles over the window, µs. */
export interface LatencyFigures {
  /** Median. */
  p50_us: number;
  /** 95th percentile. */
  p95_us: number;
  /** 99th percentile. */
  p99_us: number;
  /** Largest. */
  max_us: number;
  /** Events recorded in the window; 0 means the percentiles mean nothing. */
  count: number;
}

/** Options of {@linkcode LatencyRecorder}. */
export interface LatencyRecorderOptions {
  /** Length of one window slot, ms (default 10 000). */
  slotMs?: number;
  /** Slots in the window (default 6: the last 50 to 60 s). */
  slots?: number;
}

/** A fresh HDR histogram with portsyncd's range and precision. */
function newHdr(): Hdr {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HDR_HIGHEST_US,
    numberOfSignificantValueDigits: HDR_DIGITS,
  });
}

const BOUNDS_US = LATENCY_BOUNDS_SECONDS.map((bound) =>
  Math.round(bound * 1e6)
);

const NO_FIGURES: LatencyFigures = {
  p50_us: 0,
  p95_us: 0,
  p99_us: 0,
  max_us: 0,
  count: 0,
};

/**
 * Records latencies; a {@linkcode HistogramSource} for the registry.
 *
 * @example
 * ```ts
 * import { LatencyRecorder } from "./latency.ts";
 * const latency = new LatencyRecorder();
 * latency.record(0.25, { count: 3, at: performance.now() }); // 250 µs, 3 events
 * latency.figures(performance.now()).p99_us; // 250
 * ```
 */
export class LatencyRecorder implements HistogramSource {
  /** Bucket bounds, seconds. */
  readonly bounds: readonly number[] = LATENCY_BOUNDS_SECONDS;
  /** Events per bucket (not cumulative), the last one above 60 s. */
  readonly counts: Float64Array = new Float64Array(BOUNDS_US.length + 1);
  /** Sum of the latencies, seconds. */
  sum = 0;
  /** Events recorded since start. */
  count = 0;
  readonly #slotMs: number;
  readonly #slots: Hdr[];
  /** Absolute index (time / slotMs) of the slot being filled. */
  #slot = -Infinity;
  readonly #merged = newHdr();
  #figures: LatencyFigures | null = NO_FIGURES;

  /** Creates an empty recorder. */
  constructor(options: LatencyRecorderOptions = {}) {
    this.#slotMs = options.slotMs ?? 10_000;
    const slots = options.slots ?? 6;
    if (!(this.#slotMs > 0) || !Number.isInteger(slots) || slots < 1) {
      throw new RangeError("latency window: slotMs > 0 and slots ≥ 1");
    }
    this.#slots = Array.from({ length: slots }, newHdr);
  }

  /** One slot's length in ms: the window moves by this much at a time. */
  get slotMs(): number {
    return this.#slotMs;
  }

  /** The window's length in ms (slot length × slots). */
  get windowMs(): number {
    return this.#slotMs * this.#slots.length;
  }

  /**
   * Records `count` events that each took `latencyMs`, at time `at` (ms, the
   * clock of `figures()`, e.g. `performance.now()`).
   */
  record(latencyMs: number, options: { count: number; at: number }): void {
    const count = options.count;
    if (count <= 0) return;
    const us = latencyMs > 0 ? Math.round(latencyMs * 1000) : 0;
    let bucket = 0;
    while (bucket < BOUNDS_US.length && us > BOUNDS_US[bucket]) bucket++;
    this.counts[bucket] += count;
    this.sum += (us / 1e6) * count;
    this.count += count;
    const slot = Math.floor(options.at / this.#slotMs);
    if (slot > this.#slot) this.#advance(slot);
    this.#slots[this.#slotIndex(this.#slot)].recordValueWithCount(
      us < HDR_HIGHEST_US ? us : HDR_HIGHEST_US,
      count,
    );
    this.#figures = null;
  }

  /**
   * P50/P95/P99/max (µs) and count of the events recorded in the window
   * ending at `now` (ms); all 0 when there were none. HDR values are exact
   * to within one HDR bucket (see `HDR_DIGITS`).
   */
  figures(now: number): LatencyFigures {
    const slot = Math.floor(now / this.#slotMs);
    if (slot > this.#slot) this.#advance(slot);
    if (this.#figures !== null) return this.#figures;
    const merged = this.#merged;
    merged.reset();
    for (const histogram of this.#slots) {
      if (histogram.totalCount > 0) merged.add(histogram);
    }
    this.#figures = merged.totalCount === 0 ? NO_FIGURES : {
      p50_us: merged.getValueAtPercentile(50),
      p95_us: merged.getValueAtPercentile(95),
      p99_us: merged.getValueAtPercentile(99),
      // As the percentiles: the highest value of the largest one's bucket.
      max_us: merged.getValueAtPercentile(100),
      count: merged.totalCount,
    };
    return this.#figures;
  }

  /** Moves the window to `slot`, emptying the slots it leaves behind. */
  #advance(slot: number): void {
    const stale = Math.min(slot - this.#slot, this.#slots.length);
    for (let i = 0; i < stale; i++) {
      const histogram = this.#slots[this.#slotIndex(slot - i)];
      if (histogram.totalCount > 0) {
        histogram.reset();
        this.#figures = null;
      }
    }
    this.#slot = slot;
  }

  #slotIndex(slot: number): number {
    const length = this.#slots.length;
    return ((slot % length) + length) % length;
  }
}
