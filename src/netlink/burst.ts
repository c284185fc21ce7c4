/**
 * Burst coalescing for the link socket: under a storm, a receive that had
 * to wait sleeps briefly before draining, so one batch (one STATE_DB round
 * trip) carries more messages. Below the burst rate nothing is delayed.
 * @module
 */

import { sleepMicroseconds } from "../../ffi/mod.ts";

/**
 * A burst: at least `BURST_MESSAGES` datagrams read within one
 * `BURST_WINDOW_MS` window (this one or the previous), i.e. 5,000/s.
 */
const BURST_WINDOW_MS = 10;
const BURST_MESSAGES = 50;

/**
 * Counts datagrams read and, in a burst, lets more gather before a drain.
 *
 * @example
 * ```ts
 * const burst = new BurstGate(250);
 * burst.gather(); // before draining, after a wait: sleeps only in a burst
 * burst.count(3); // datagrams the drain read
 * ```
 */
export class BurstGate {
  readonly #coalesceUs: number;
  readonly #now: () => number;
  readonly #sleep: (us: number) => void;
  /** Datagrams read in the current and the previous window. */
  #start = -Infinity;
  #current = 0;
  #previous = 0;

  /**
   * Sleeps `coalesceUs` (0: never) before a drain in a burst. `now` (ms) and
   * `sleep` (µs) are for tests.
   */
  constructor(
    coalesceUs: number,
    options: { now?: () => number; sleep?: (us: number) => void } = {},
  ) {
    this.#coalesceUs = coalesceUs;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? sleepMicroseconds;
  }

  /** True while the read rate is at the burst level. */
  get bursting(): boolean {
    this.count(0);
    return Math.max(this.#current, this.#previous) >= BURST_MESSAGES;
  }

  /** Call after waiting for data, before draining. */
  gather(): void {
    if (this.#coalesceUs > 0 && this.bursting) this.#sleep(this.#coalesceUs);
  }

  /** Counts datagrams a drain read. */
  count(datagrams: number): void {
    const now = this.#now();
    if (now - this.#start >= BURST_WINDOW_MS) {
      const adjacent = now - this.#start < 2 * BURST_WINDOW_MS;
      this.#previous = adjacent ? this.#current : 0;
      this.#current = 0;
      this.#start = now;
    }
    this.#current += datagrams;
  }
}
