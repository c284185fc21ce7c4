/**
 * The alert state machine and its timers: evaluates one rule's alerts
 * against a metric read (one per port for a per-port metric), and applies
 * what is due at a time (`for`, `keep_firing_for`, rate windows). The
 * engine (`engine.ts`) owns the rules, history and listeners around it.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import { conditionHolds, RateWindow } from "./conditions.ts";
import { RateState, type RuleEntry, Slot } from "./slots.ts";
import type { SuppressionIndex } from "./suppression_index.ts";
import type { AlertState, MetricReader, MetricSample } from "./types.ts";

/** Receives each transition of a slot (to null: gone; the snapshot keeps `from`). */
export type SlotTransition = (
  slot: Slot,
  change: { from: AlertState | null; to: AlertState | null; at: number },
) => void;

/** Options of {@linkcode AlertMachine}. */
export interface AlertMachineOptions {
  /** Where metrics are read. */
  reader: MetricReader;
  /** The suppressions in force. */
  suppressions: SuppressionIndex;
  /** Called with every transition, in order. */
  emit: SlotTransition;
  /** Where unreadable metrics are logged (once each until readable again). */
  log?: Logger;
}

const NO_SERIES: readonly MetricSample[] = Object.freeze([]);

/**
 * Runs alerts through the state machine (see `engine.ts`). Evaluations
 * update slots in place and allocate nothing unless a transition happens
 * (or a new port or rate window appears).
 *
 * @example
 * ```ts
 * import { AlertMachine } from "./machine.ts";
 * import { RuleEntry } from "./slots.ts";
 * import { SuppressionIndex } from "./suppression_index.ts";
 * import type { AlertRule } from "./types.ts";
 * declare const rule: AlertRule;
 * const machine = new AlertMachine({
 *   reader: { has: () => true, series: () => [{ labels: {}, value: 1 }] },
 *   suppressions: new SuppressionIndex(),
 *   emit: (slot, change) => console.log(slot.key, change.from, change.to),
 * });
 * machine.evaluate([new RuleEntry(rule)], Date.now());
 * ```
 */
export class AlertMachine {
  readonly #reader: MetricReader;
  readonly #suppressions: SuppressionIndex;
  readonly #emitTo: SlotTransition;
  readonly #log: Logger | undefined;
  // Alerts waiting on `for` or `keep_firing_for`; rate rules waiting on their window.
  readonly #timed = new Set<Slot>();
  readonly #timedRules = new Set<RuleEntry>();
  readonly #failing = new Set<string>();
  // The last read: a value (unlabelled) or the series.
  // Kept tagged (undefined between reads), so that passing it on never
  // boxes a new HeapNumber as a double-represented field would.
  #single: number | undefined = undefined;
  #series: readonly MetricSample[] | null = null;

  /** Creates a machine with nothing timed. */
  constructor(options: AlertMachineOptions) {
    this.#reader = options.reader;
    this.#suppressions = options.suppressions;
    this.#emitTo = options.emit;
    this.#log = options.log;
  }

  /**
   * Reads the metric of `group` (rules of one metric) once and evaluates
   * each rule against it at `now`.
   */
  evaluate(group: readonly RuleEntry[], now: number): void {
    if (group.length === 0) return;
    this.#read(group[0].rule.metric);
    for (let i = 0; i < group.length; i++) this.#evaluateEntry(group[i], now);
  }

  /** Applies what is due at `now`: for, keep_firing_for, rate windows. */
  tick(now: number): void {
    for (const slot of this.#timed) {
      if (slot.deadline > now) continue;
      if (!slot.firing) this.#fire(slot, now, "pending");
      else if (slot.clear) this.#resolve(slot, now);
    }
    for (const entry of this.#timedRules) {
      if (entry.rates!.deadline > now) continue;
      this.#read(entry.rule.metric);
      this.#evaluateEntry(entry, now);
    }
  }

  /** The earliest deadline of an alert or a rate window (Infinity: none). */
  nextDeadline(): number {
    let next = Infinity;
    for (const slot of this.#timed) next = Math.min(next, slot.deadline);
    for (const entry of this.#timedRules) {
      next = Math.min(next, entry.rates!.deadline);
    }
    return next;
  }

  /** Ends every alert of a rule that changed or is gone (→ null). */
  end(entry: RuleEntry, now: number): void {
    for (const slot of entry.slots()) {
      this.#drop(slot);
      this.#emit(slot, slot.state, null, now);
    }
    entry.rates = null;
    this.#timedRules.delete(entry);
  }

  /** Re-applies suppression to the firing alerts of `entry`. */
  resuppress(entry: RuleEntry, now: number): void {
    const ruleId = entry.rule.id;
    for (const slot of entry.slots()) {
      if (!slot.firing) continue;
      const suppressed = this.#suppressions.suppressed(ruleId, slot.port, now);
      if (suppressed === slot.suppressed) continue;
      const from = slot.state;
      slot.suppressed = suppressed;
      slot.stateSince = now;
      this.#emit(slot, from, slot.state, now);
    }
  }

  /** Reads `metric` into `#single` or `#series` (no series when it fails). */
  #read(metric: string): void {
    const reader = this.#reader;
    try {
      const value = reader.value === undefined
        ? undefined
        : reader.value(metric);
      this.#single = value;
      this.#series = value === undefined ? reader.series(metric) : null;
      if (this.#failing.size > 0) this.#failing.delete(metric);
    } catch (error) {
      this.#series = NO_SERIES;
      if (this.#failing.has(metric)) return;
      this.#failing.add(metric);
      this.#log?.warn(
        "alert metric cannot be read; its alerts count as clear",
        {
          metric,
          error: error instanceof Error ? error.message : String(error),
        },
      );
    }
  }

  /** Evaluates one rule against the last read. */
  #evaluateEntry(entry: RuleEntry, now: number): void {
    const series = this.#series;
    const rule = entry.rule;
    const rates = rule.condition === "rate_of_change"
      ? (entry.rates ??= new RateState())
      : null;
    const generation = ++entry.generation;
    let deadline = Infinity;
    let kept = 0;
    let windows = 0;
    let unlabelled = -1;
    if (series === null) {
      this.#evaluateOne(entry, this.#single!, now);
    } else {
      for (let i = 0; i < series.length; i++) {
        const sample = series[i];
        const port = sample.labels.port;
        if (port === undefined) {
          if (unlabelled < 0) unlabelled = i;
          continue;
        }
        const value = sample.value;
        let holds: boolean;
        if (rates !== null) {
          let window = rates.ports?.get(port);
          if (window === undefined) {
            window = new RateWindow(rule.windowMs);
            (rates.ports ??= new Map()).set(port, window);
          }
          window.seen = generation;
          windows++;
          window.add(now, value);
          holds = window.holds(now, rule.threshold);
          deadline = Math.min(deadline, window.expiresAt);
        } else {
          holds = conditionHolds(rule, value);
        }
        const slot = entry.ports?.get(port);
        if (slot !== undefined) {
          slot.seen = generation;
          if (this.#step(slot, holds, value, now)) kept++;
        } else if (holds) {
          this.#start(entry, port, value, now).seen = generation;
          kept++;
        }
      }
      if (unlabelled >= 0) {
        this.#evaluateOne(entry, series[unlabelled].value, now);
      } else {
        if (rates !== null) rates.single = null;
        if (entry.single !== null) {
          this.#step(entry.single, false, entry.single.value, now);
        }
      }
    }
    if (entry.ports !== null && entry.ports.size > kept) {
      for (const slot of entry.ports.values()) {
        if (slot.seen !== generation) this.#step(slot, false, slot.value, now);
      }
    }
    if (rates !== null && rates.ports !== null && rates.ports.size > windows) {
      for (const [port, window] of rates.ports) {
        if (window.seen !== generation) rates.ports.delete(port);
      }
    }
    if (rates === null) return;
    if (rates.single !== null) {
      deadline = Math.min(deadline, rates.single.expiresAt);
    }
    rates.deadline = deadline;
    if (deadline === Infinity) this.#timedRules.delete(entry);
    else this.#timedRules.add(entry);
  }

  /** Evaluates the alert without a port with `value`. */
  #evaluateOne(entry: RuleEntry, value: number, now: number): void {
    const rule = entry.rule;
    let holds: boolean;
    if (rule.condition === "rate_of_change") {
      const rates = entry.rates ??= new RateState();
      const window = rates.single ??= new RateWindow(rule.windowMs);
      window.add(now, value);
      holds = window.holds(now, rule.threshold);
    } else {
      holds = conditionHolds(rule, value);
    }
    const slot = entry.single;
    if (slot !== null) this.#step(slot, holds, value, now);
    else if (holds) this.#start(entry, null, value, now);
  }

  /** A new alert whose condition holds: pending, or firing when `for` is 0. */
  #start(
    entry: RuleEntry,
    port: string | null,
    value: number,
    now: number,
  ): Slot {
    const slot = new Slot(entry, port, value, now);
    if (port === null) entry.single = slot;
    else (entry.ports ??= new Map()).set(port, slot);
    if (entry.rule.forMs > 0) {
      slot.deadline = now + entry.rule.forMs;
      this.#timed.add(slot);
      this.#emit(slot, null, "pending", now);
    } else {
      this.#fire(slot, now, null);
    }
    return slot;
  }

  /** One evaluation of an existing alert; false when it ended. */
  #step(slot: Slot, holds: boolean, value: number, now: number): boolean {
    slot.value = value;
    if (holds) {
      if (slot.clear) {
        slot.clear = false;
        slot.deadline = Infinity;
        this.#timed.delete(slot);
      } else if (!slot.firing && now >= slot.deadline) {
        this.#fire(slot, now, "pending");
      }
      return true;
    }
    if (!slot.firing) {
      this.#drop(slot);
      this.#emit(slot, "pending", null, now);
      return false;
    }
    if (!slot.clear) {
      slot.clear = true;
      slot.deadline = now + slot.entry.rule.keepFiringForMs;
      this.#timed.add(slot);
    }
    if (now < slot.deadline) return true;
    this.#resolve(slot, now);
    return false;
  }

  #fire(slot: Slot, now: number, from: AlertState | null): void {
    slot.firing = true;
    slot.suppressed = this.#suppressions.suppressed(
      slot.entry.rule.id,
      slot.port,
      now,
    );
    slot.stateSince = now;
    slot.deadline = Infinity;
    this.#timed.delete(slot);
    this.#emit(slot, from, slot.state, now);
  }

  #resolve(slot: Slot, now: number): void {
    const from = slot.state;
    this.#drop(slot);
    slot.stateSince = now;
    this.#emit(slot, from, "resolved", now);
  }

  #drop(slot: Slot): void {
    const entry = slot.entry;
    if (slot.port === null) entry.single = null;
    else entry.ports?.delete(slot.port);
    this.#timed.delete(slot);
  }

  #emit(
    slot: Slot,
    from: AlertState | null,
    to: AlertState | null,
    now: number,
  ): void {
    this.#emitTo(slot, { from, to, at: now });
  }
}
