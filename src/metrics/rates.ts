/**
 * Events per second over the last 1 to 60 seconds, from a ring of
 * per-second counts: adding is one array increment, reading sums at most
 * 60 numbers. Pure: the caller passes the time.
 * @module
 */

/** Options of {@linkcode EventRate}. */
export interface EventRateOptions {
  /** Longest window asked for, seconds (default 60). */
  maxWindowSeconds?: number;
  /** When counting starts, ms (default: the first `add` or read). */
  start?: number;
}

/**
 * Counts events per second and reports rates over complete seconds.
 *
 * @example
 * ```ts
 * import { EventRate } from "./rates.ts";
 * const rate = new EventRate({ start: 0 });
 * rate.add(50, 500);     // 50 events at t = 0.5 s
 * rate.add(30, 1_200);   // 30 events at t = 1.2 s
 * rate.perSecond(1, 2_000);  // 30: the events of second [1 s, 2 s)
 * rate.perSecond(10, 2_000); // 40: 80 events over the 2 s seen so far
 * ```
 */
export class EventRate {
  readonly #counts: Float64Array;
  readonly #max: number;
  /** The second (time / 1000, floored) the newest slot counts. */
  #second = -Infinity;
  /** The first second counted. */
  #first: number | null;

  /** Creates a counter with every second at 0. */
  constructor(options: EventRateOptions = {}) {
    this.#max = options.maxWindowSeconds ?? 60;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError("maxWindowSeconds must be an integer ≥ 1");
    }
    this.#counts = new Float64Array(this.#max + 1);
    this.#first = options.start === undefined
      ? null
      : Math.floor(options.start / 1000);
  }

  /** The longest window `perSecond` accepts, seconds. */
  get maxWindowSeconds(): number {
    return this.#max;
  }

  /** Adds `count` events at time `at` (ms). */
  add(count: number, at: number): void {
    const second = Math.floor(at / 1000);
    if (second > this.#second) this.#advance(second);
    this.#counts[this.#index(this.#second)] += count;
  }

  /**
   * Events per second over the `windowSeconds` complete seconds before the
   * one `now` (ms) is in; over fewer when counting began less than that long
   * ago (0 before one complete second).
   */
  perSecond(windowSeconds: number, now: number): number {
    if (
      !Number.isInteger(windowSeconds) || windowSeconds < 1 ||
      windowSeconds > this.#max
    ) {
      throw new RangeError(
        `window must be 1 to ${this.#max} seconds, not ${windowSeconds}`,
      );
    }
    const second = Math.floor(now / 1000);
    if (second > this.#second) this.#advance(second);
    const seen = Math.min(windowSeconds, second - this.#first!);
    let total = 0;
    for (let back = 1; back <= seen; back++) {
      total += this.#counts[this.#index(second - back)];
    }
    return seen > 0 ? total / seen : 0;
  }

  /** Moves the newest slot to `second`, zeroing the seconds it skips. */
  #advance(second: number): void {
    this.#first ??= second;
    const stale = Math.min(second - this.#second, this.#counts.length);
    for (let i = 0; i < stale; i++) this.#counts[this.#index(second - i)] = 0;
    this.#second = second;
  }

  #index(second: number): number {
    const length = this.#counts.length;
    return ((second % length) + length) % length;
  }
}
