/**
 * Burst coalescing for the link socket: under a storm, a receive that had
 * to wait sleeps briefly before draining, so one batch (one STATE_DB round
 * trip) carries more messages. Below the burst rate nothing is delayed.
 * @module
 */

import { sleepMicroseconds } from "../../ffi/mod.ts";

/**
 * A burst: over the current and the previous `BURST_WINDOW_MS` window, at
 * least `BURST_MESSAGES` datagrams (5,000/s or more), and at least
 * `BURST_PER_RECEIVE` of them per receive on average: messages pile up
 * between reads. A client that changes links one at a time, each after the
 * previous one's write, reads one datagram per receive at any rate, and is
 * never delayed.
 */
const BURST_WINDOW_MS = 10;
const BURST_MESSAGES = 50;
const BURST_PER_RECEIVE = 2;

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
  /** Datagrams and receives in the current and the previous window. */
  #start = -Infinity;
  #current = 0;
  #previous = 0;
  #currentReceives = 0;
  #previousReceives = 0;

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

  /** True while messages arrive at the burst rate and pile up between reads. */
  get bursting(): boolean {
    this.#roll();
    const datagrams = this.#current + this.#previous;
    const receives = this.#currentReceives + this.#previousReceives;
    return datagrams >= BURST_MESSAGES &&
      datagrams >= BURST_PER_RECEIVE * receives;
  }

  /** Call after waiting for data, before draining. */
  gather(): void {
    if (this.#coalesceUs > 0 && this.bursting) this.#sleep(this.#coalesceUs);
  }

  /** Counts one receive and the datagrams its drain read. */
  count(datagrams: number): void {
    this.#roll();
    this.#current += datagrams;
    this.#currentReceives++;
  }

  /** Starts a new window when the current one is over. */
  #roll(): void {
    const now = this.#now();
    if (now - this.#start < BURST_WINDOW_MS) return;
    const adjacent = now - this.#start < 2 * BURST_WINDOW_MS;
    this.#previous = adjacent ? this.#current : 0;
    this.#previousReceives = adjacent ? this.#currentReceives : 0;
    this.#current = 0;
    this.#currentReceives = 0;
    this.#start = now;
  }
}
