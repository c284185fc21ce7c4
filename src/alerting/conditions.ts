/**
 * Conditions: whether a value meets a rule (`above`, `below`, `equals`,
 * `between`), and the sliding window of samples a `rate_of_change` rule
 * takes its rate from. NaN never meets a condition; ±Infinity compare as
 * numbers (Infinity is above any threshold; `equals` and `between` never
 * hold for it, since thresholds are finite).
 * @module
 */

import type { AlertRule } from "./types.ts";

/**
 * True when `value` meets `rule`'s condition: above `value > threshold`,
 * below `value < threshold`, equals `|value - threshold| <= epsilon`,
 * between `min <= value <= max`. Always false for `rate_of_change` (see
 * {@linkcode RateWindow}) and for NaN.
 *
 * @example
 * ```ts
 * import type { AlertRule } from "./types.ts";
 * declare const rule: AlertRule; // condition "above", threshold 0
 * conditionHolds(rule, 1); // true
 * conditionHolds(rule, 0); // false
 * ```
 */
export function conditionHolds(rule: AlertRule, value: number): boolean {
  switch (rule.condition) {
    case "above":
      return value > rule.threshold;
    case "below":
      return value < rule.threshold;
    case "equals":
      return Math.abs(value - rule.threshold) <= rule.epsilon;
    case "between":
      return value >= rule.min && value <= rule.max;
  }
  return false;
}

/**
 * Samples kept per window: while the newest two samples are closer than
 * `window / RATE_SLOTS`, a new sample replaces the newest, so a window holds
 * at most `RATE_SLOTS + 2` samples however often it is evaluated, and its
 * start is exact to `window / RATE_SLOTS`.
 */
export const RATE_SLOTS = 8;

const CAPACITY = RATE_SLOTS + 2;

/**
 * A sliding window of `(time, value)` samples for `rate_of_change`. Values
 * are taken as steps (the engine samples a metric whenever it changes), so
 * the rate at `now` is `(v(now) - v(now - window)) / window` per second,
 * where `v(t)` is the newest sample at or before `t` (the oldest sample while
 * the series is younger than the window). With fewer than two samples
 * there is no rate (NaN). NaN values are not recorded; a value equal to the
 * newest is no new step and is not recorded either. Fixed storage: adding
 * samples never allocates.
 *
 * @example
 * ```ts
 * const window = new RateWindow(10_000);
 * window.add(0, 10);
 * window.rate(0); // NaN (one sample)
 * window.add(2000, 30);
 * window.rate(2000); // 2 (20 more over the 10 s window)
 * window.rate(12_000); // NaN (only the step to 30 is left)
 * ```
 */
export class RateWindow {
  /** Window length, ms. */
  readonly windowMs: number;
  /** Evaluation mark of the engine (which series it saw last). */
  seen = 0;
  /**
   * When the window's start next passes a sample (the rate may change
   * then), or Infinity with fewer than two samples; kept current by `add`
   * and `rate`. A field, so that reading it never boxes a number.
   */
  expiresAt: number = Infinity;
  // Interleaved [time, value] pairs in a ring.
  readonly #samples = new Float64Array(CAPACITY * 2);
  #first = 0;
  #count = 0;

  /** Creates an empty window of `windowMs` ms. */
  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** Samples held (the reference sample at or before the window's start included). */
  get count(): number {
    return this.#count;
  }

  /** Records `value` at time `at` (ms; an earlier time counts as the newest sample's). */
  add(at: number, value: number): void {
    if (Number.isNaN(value)) return;
    const samples = this.#samples;
    const count = this.#count;
    if (count > 0) {
      const last = this.#slot(count - 1);
      if (samples[last + 1] === value) return;
      if (at <= samples[last]) {
        samples[last + 1] = value;
        return;
      }
      if (
        count > 1 &&
        samples[last] - samples[this.#slot(count - 2)] <
          this.windowMs / RATE_SLOTS
      ) {
        samples[last] = at;
        samples[last + 1] = value;
        this.#expire();
        return;
      }
    }
    if (count === CAPACITY) {
      this.#first = (this.#first + 1) % CAPACITY;
      this.#count--;
    }
    const slot = this.#slot(this.#count);
    samples[slot] = at;
    samples[slot + 1] = value;
    this.#count++;
    this.#expire();
  }

  /** The rate per second over the window ending at `now`, or NaN. */
  rate(now: number): number {
    this.#slide(now);
    if (this.#count < 2) return NaN;
    const samples = this.#samples;
    const first = this.#slot(0);
    const last = this.#slot(this.#count - 1);
    return (samples[last + 1] - samples[first + 1]) * 1000 / this.windowMs;
  }

  /**
   * Whether the rate at `now` meets `threshold` ({@linkcode rateHolds}).
   * The rate is worked out here as `rate()` works it out, without handing a
   * number back (which boxes it when the call is not inlined).
   */
  holds(now: number, threshold: number): boolean {
    this.#slide(now);
    if (this.#count < 2) return false;
    const samples = this.#samples;
    const first = this.#slot(0);
    const last = this.#slot(this.#count - 1);
    const rate = (samples[last + 1] - samples[first + 1]) * 1000 /
      this.windowMs;
    return threshold >= 0 ? rate > threshold : rate < threshold;
  }

  /** Drops the samples the window ending at `now` no longer needs. */
  #slide(now: number): void {
    const samples = this.#samples;
    const start = now - this.windowMs;
    if (this.#count > 1 && samples[this.#slot(1)] <= start) {
      while (this.#count > 1 && samples[this.#slot(1)] <= start) {
        this.#first = (this.#first + 1) % CAPACITY;
        this.#count--;
      }
      this.#expire();
    }
  }

  #expire(): void {
    this.expiresAt = this.#count < 2
      ? Infinity
      : this.#samples[this.#slot(1)] + this.windowMs;
  }

  #slot(index: number): number {
    return ((this.#first + index) % CAPACITY) * 2;
  }
}

/**
 * Whether a rate meets a `rate_of_change` threshold: a threshold of 0 or
 * more is a rise faster than it (`rate > threshold`), a negative one a fall
 * faster than its size (`rate < threshold`). NaN (no rate) never does.
 *
 * @example
 * ```ts
 * rateHolds(5, 1); // true: rising faster than 1/s
 * rateHolds(-5, -1); // true: falling faster than 1/s
 * rateHolds(NaN, 0); // false
 * ```
 */
export function rateHolds(rate: number, threshold: number): boolean {
  return threshold >= 0 ? rate > threshold : rate < threshold;
}
