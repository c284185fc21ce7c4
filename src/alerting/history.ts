/**
 * The alert history: the last N transitions in a ring.
 * @module
 */

import type { AlertTransition } from "./types.ts";

/**
 * A bounded ring of transitions: keeps the newest `size`, drops the oldest.
 *
 * @example
 * ```ts
 * import type { AlertTransition } from "./types.ts";
 * declare const transition: AlertTransition;
 * const ring = new TransitionRing(2);
 * ring.push(transition);
 * ring.toArray().length; // 1
 * ```
 */
export class TransitionRing {
  /** Most transitions kept. */
  readonly size: number;
  readonly #items: (AlertTransition | undefined)[];
  #next = 0;
  #count = 0;

  /** Creates an empty ring of `size` (an integer, 0 or more) transitions. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`history size ${size} is not an integer >= 0`);
    }
    this.size = size;
    this.#items = new Array(size).fill(undefined);
  }

  /** Transitions held. */
  get count(): number {
    return this.#count;
  }

  /** Adds `transition`, dropping the oldest when full. */
  push(transition: AlertTransition): void {
    if (this.size === 0) return;
    this.#items[this.#next] = transition;
    this.#next = (this.#next + 1) % this.size;
    if (this.#count < this.size) this.#count++;
  }

  /** The transitions held, oldest first. */
  toArray(): AlertTransition[] {
    const out: AlertTransition[] = [];
    const start = (this.#next - this.#count + this.size) %
      Math.max(1, this.size);
    for (let i = 0; i < this.#count; i++) {
      out.push(this.#items[(start + i) % this.size]!);
    }
    return out;
  }
}
