/**
 * The alerts waiting on a deadline (`for` or `keep_firing_for`), in the
 * order they began to wait, as a `Set` would keep them, without a hash
 * lookup per change: a slot carries the mark of its place (0 when it does
 * not wait); leaving only clears the mark, and the list drops stale places when
 * they outnumber the live ones.
 * @module
 */

import type { Slot } from "./slots.ts";

/** Slots waiting on their deadline (see the module doc). */
export class TimedSlots {
  #slots: Slot[] = [];
  #marks: number[] = [];
  #live = 0;
  #mark = 0;
  #visiting = 0;

  /** Waiting slots. */
  get size(): number {
    return this.#live;
  }

  /** Adds `slot` at the end, unless it already waits. */
  add(slot: Slot): void {
    if (slot.timedMark !== 0) return;
    slot.timedMark = ++this.#mark;
    this.#slots.push(slot);
    this.#marks.push(slot.timedMark);
    this.#live++;
  }

  /** Removes `slot` if it waits. */
  delete(slot: Slot): void {
    if (slot.timedMark === 0) return;
    slot.timedMark = 0;
    this.#live--;
    if (this.#visiting === 0 && this.#slots.length > 2 * this.#live + 64) {
      this.#compact();
    }
  }

  /**
   * Calls `visit` with each waiting slot in order; slots added meanwhile
   * are visited too, slots removed meanwhile are not.
   */
  forEach(visit: (slot: Slot) => void): void {
    this.#visiting++;
    try {
      for (let i = 0; i < this.#slots.length; i++) {
        const slot = this.#slots[i];
        if (slot.timedMark === this.#marks[i]) visit(slot);
      }
    } finally {
      this.#visiting--;
    }
    if (this.#visiting === 0 && this.#slots.length > 2 * this.#live + 64) {
      this.#compact();
    }
  }

  /** The earliest deadline of a waiting slot (Infinity: none). */
  earliest(): number {
    let next = Infinity;
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i];
      if (slot.timedMark === this.#marks[i]) {
        next = Math.min(next, slot.deadline);
      }
    }
    return next;
  }

  #compact(): void {
    const slots: Slot[] = [];
    const marks: number[] = [];
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i];
      if (slot.timedMark === this.#marks[i]) {
        slots.push(slot);
        marks.push(this.#marks[i]);
      }
    }
    this.#slots = slots;
    this.#marks = marks;
  }
}
