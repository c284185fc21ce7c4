/**
 * Operators' suppressions by rule and port, with their expiry.
 * @module
 */

import type { Suppression } from "./types.ts";

interface RuleSuppressions {
  /** Until when every alert of the rule is suppressed (null: indefinitely; undefined: not). */
  all: number | null | undefined;
  /** Until when one port's alert is (null: indefinitely). */
  ports: Map<string, number | null> | null;
}

/** The later of two `until`s (null: indefinitely). */
function later(a: number | null | undefined, b: number | null): number | null {
  if (a === undefined) return b;
  if (a === null || b === null) return null;
  return Math.max(a, b);
}

/**
 * The suppressions in force, looked up by rule and port. A suppression
 * holds while `now < until` (or forever when `until` is null); one of the
 * rule and one of its port may both apply, and either suppresses.
 *
 * @example
 * ```ts
 * const index = new SuppressionIndex();
 * index.set([{ ruleId: "port_down", port: "Ethernet0", until: 1000 }], 0);
 * index.suppressed("port_down", "Ethernet0", 500); // true
 * index.suppressed("port_down", "Ethernet0", 1000); // false
 * ```
 */
export class SuppressionIndex {
  #byRule = new Map<string, RuleSuppressions>();
  #nextExpiry = Infinity;

  /** The earliest `until` still ahead (Infinity when none). */
  get nextExpiry(): number {
    return this.#nextExpiry;
  }

  /**
   * Replaces every suppression with `list` (those already expired at `now`
   * are left out); returns the rules whose suppressions were or are set.
   */
  set(list: readonly Suppression[], now: number): Set<string> {
    const touched = new Set(this.#byRule.keys());
    const byRule = new Map<string, RuleSuppressions>();
    for (const { ruleId, port, until } of list) {
      if (until !== null && !(until > now)) continue;
      let entry = byRule.get(ruleId);
      if (entry === undefined) {
        entry = { all: undefined, ports: null };
        byRule.set(ruleId, entry);
      }
      if (port === null) {
        entry.all = later(entry.all, until);
      } else {
        entry.ports ??= new Map();
        entry.ports.set(port, later(entry.ports.get(port), until));
      }
      touched.add(ruleId);
    }
    this.#byRule = byRule;
    this.#computeExpiry();
    return touched;
  }

  /** True when the alert of `ruleId` (and `port`) is suppressed at `now`. */
  suppressed(ruleId: string, port: string | null, now: number): boolean {
    if (this.#byRule.size === 0) return false;
    const entry = this.#byRule.get(ruleId);
    if (entry === undefined) return false;
    if (entry.all !== undefined && (entry.all === null || now < entry.all)) {
      return true;
    }
    if (port === null || entry.ports === null) return false;
    const until = entry.ports.get(port);
    return until !== undefined && (until === null || now < until);
  }

  /** Drops the suppressions expired at `now`; returns their rules. */
  expire(now: number): string[] {
    const touched: string[] = [];
    if (now < this.#nextExpiry) return touched;
    for (const [ruleId, entry] of this.#byRule) {
      let changed = false;
      if (typeof entry.all === "number" && entry.all <= now) {
        entry.all = undefined;
        changed = true;
      }
      for (const [port, until] of entry.ports ?? []) {
        if (until !== null && until <= now) {
          entry.ports!.delete(port);
          changed = true;
        }
      }
      if (!changed) continue;
      touched.push(ruleId);
      if (entry.all === undefined && (entry.ports?.size ?? 0) === 0) {
        this.#byRule.delete(ruleId);
      }
    }
    this.#computeExpiry();
    return touched;
  }

  #computeExpiry(): void {
    let next = Infinity;
    for (const entry of this.#byRule.values()) {
      if (typeof entry.all === "number") next = Math.min(next, entry.all);
      for (const until of entry.ports?.values() ?? []) {
        if (until !== null) next = Math.min(next, until);
      }
    }
    this.#nextExpiry = next;
  }
}
