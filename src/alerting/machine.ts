/**
 * The alert state machine and its timers: evaluates one rule's alerts
 * against a metric read (one per port for a per-port metric), and applies
 * what is due at a time (`for`, `keep_firing_for`, rate windows). The
 * engine (`engine.ts`) owns the rules, history and listeners around it.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import { RateWindow } from "./conditions.ts";
import {
  DUE,
  holds as meets,
  RATE,
  READ_NONE,
  READ_SERIES,
  READ_SINGLE,
  type RuleGroup,
  WINDOWS,
} from "./groups.ts";
import { RateState, type RuleEntry, Slot } from "./slots.ts";
import type { SuppressionIndex } from "./suppression_index.ts";
import { MetricReads } from "./reads.ts";
import { TimedSlots } from "./timed.ts";
import type { AlertState, MetricReader } from "./types.ts";

/**
 * Receives each transition of a slot at `at` (to null: gone; the snapshot
 * keeps `from`).
 */
export type SlotTransition = (
  slot: Slot,
  from: AlertState | null,
  to: AlertState | null,
  at: number,
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
 *   emit: (slot, from, to) => console.log(slot.key, from, to),
 * });
 * machine.evaluateAlone(new RuleEntry(rule), Date.now());
 * ```
 */
export class AlertMachine {
  readonly #reads: MetricReads;
  readonly #suppressions: SuppressionIndex;
  readonly #emitTo: SlotTransition;
  // Alerts waiting on `for` or `keep_firing_for`; rate rules waiting on their window.
  readonly #timed = new TimedSlots();
  readonly #timedRules = new Set<RuleEntry>();
  // nextDeadline()'s answer while nothing timed has left or moved later (a
  // typed array: storing a double in a field would box it).
  readonly #earliest = new Float64Array([Infinity]);
  #earliestKnown = false;

  /** Creates a machine with nothing timed. */
  constructor(options: AlertMachineOptions) {
    this.#reads = new MetricReads(options.reader, options.log);
    this.#suppressions = options.suppressions;
    this.#emitTo = options.emit;
  }

  /**
   * Reads the metric of `group` once and evaluates each rule against it at
   * `now`. When the read equals the group's last one and nothing of the
   * group is due in time, nothing can change and nothing is done; a rule
   * with no alert whose condition holds for no value read is passed over.
   */
  evaluate(group: RuleGroup, now: number): void {
    const changed = this.#reads.read(group);
    if (
      !changed && group.valid && now < group.deadlines[DUE] &&
      now < group.deadlines[WINDOWS]
    ) {
      return;
    }
    group.mapColumns();
    const entries = group.entries;
    let rateDeadline = Infinity;
    // Every timed alert is stepped below (its rule holds an alert), and
    // lowers this again if it stays timed.
    group.deadlines[DUE] = Infinity;
    for (let i = 0; i < entries.length; i++) {
      if (!group.mayChange(i)) continue;
      const entry = entries[i];
      this.#evaluateEntry(entry, now);
      if (entry.rates !== null) {
        rateDeadline = Math.min(rateDeadline, entry.rates.deadline);
      }
    }
    group.deadlines[WINDOWS] = rateDeadline;
    group.valid = group.kind !== READ_NONE;
  }

  /** Reads the metric of `entry` and evaluates that one rule at `now`. */
  evaluateAlone(entry: RuleEntry, now: number): void {
    const group = entry.group!;
    this.#reads.read(group);
    group.valid = false;
    group.mapColumns();
    this.#evaluateEntry(entry, now);
  }

  /** Applies what is due at `now`: for, keep_firing_for, rate windows. */
  tick(now: number): void {
    if (this.#timed.size > 0) {
      this.#timed.forEach((slot) => {
        if (slot.deadline > now) return;
        if (!slot.firing) this.#fire(slot, now, "pending");
        else if (slot.clear) this.#resolve(slot, now);
      });
    }
    for (const entry of this.#timedRules) {
      if (entry.rates!.deadline > now) continue;
      this.evaluateAlone(entry, now);
    }
  }

  /** The earliest deadline of an alert or a rate window (Infinity: none). */
  nextDeadline(): number {
    if (this.#earliestKnown) return this.#earliest[0];
    let next = this.#timed.earliest();
    for (const entry of this.#timedRules) {
      next = Math.min(next, entry.rates!.deadline);
    }
    this.#earliest[0] = next;
    this.#earliestKnown = true;
    return next;
  }

  /** A deadline was set: the cached earliest can only move down to it. */
  #lowerEarliest(deadline: number): void {
    if (this.#earliestKnown && deadline < this.#earliest[0]) {
      this.#earliest[0] = deadline;
    }
  }

  /** Ends every alert of a rule that changed or is gone (→ null). */
  end(entry: RuleEntry, now: number): void {
    for (const slot of entry.slots()) {
      this.#drop(slot);
      this.#emitTo(slot, slot.state, null, now);
    }
    entry.rates = null;
    this.#timedRules.delete(entry);
    this.#earliestKnown = false;
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
      this.#emitTo(slot, from, slot.state, now);
    }
  }

  /** Evaluates one rule against its group's last read. */
  #evaluateEntry(entry: RuleEntry, now: number): void {
    const group = entry.group!;
    const index = entry.index;
    // The condition from the group's arrays: the rule itself is read only
    // for a rate rule (and when an alert starts).
    const code = group.codes[index];
    const rates = code === RATE ? (entry.rates ??= new RateState()) : null;
    const generation = ++entry.generation;
    let deadline = Infinity;
    let kept = 0;
    let windows = 0;
    if (group.kind === READ_SINGLE) {
      this.#evaluateOne(entry, group.single!, now);
    } else {
      const ports = group.ports;
      const values = group.values;
      const count = group.kind === READ_SERIES ? group.count : 0;
      for (let i = 0; i < count; i++) {
        const port = ports[i];
        const value = values[i];
        let holds: boolean;
        if (rates !== null) {
          const rule = entry.rule;
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
          holds = meets(code, group.a[index], group.b[index], value);
        }
        const slot = group.slotAt(index, i);
        if (slot !== undefined) {
          slot.seen = generation;
          if (this.#step(slot, holds, value, now)) kept++;
        } else if (holds) {
          this.#start(entry, port, value, now).seen = generation;
          kept++;
        }
      }
      if (group.kind === READ_SERIES && group.hasUnlabelled) {
        this.#evaluateOne(entry, group.unlabelled!, now);
      } else {
        if (rates !== null) rates.single = null;
        if (entry.single !== null) {
          this.#step(entry.single, false, entry.single.value, now);
        }
      }
    }
    if (entry.portAlerts > kept) {
      let next = entry.first;
      while (next !== null) {
        const slot = next;
        next = slot.next;
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
    if (deadline === rates.deadline) return;
    // The earliest deadline may have been this one: work it out again.
    if (rates.deadline <= this.#earliest[0]) this.#earliestKnown = false;
    this.#lowerEarliest(deadline);
    rates.deadline = deadline;
    if ((deadline !== Infinity) !== rates.timed) {
      rates.timed = deadline !== Infinity;
      if (rates.timed) this.#timedRules.add(entry);
      else this.#timedRules.delete(entry);
    }
  }

  /** Evaluates the alert without a port with `value`. */
  #evaluateOne(entry: RuleEntry, value: number, now: number): void {
    const group = entry.group!;
    const index = entry.index;
    const code = group.codes[index];
    let holds: boolean;
    if (code === RATE) {
      const rule = entry.rule;
      const rates = entry.rates ??= new RateState();
      const window = rates.single ??= new RateWindow(rule.windowMs);
      window.add(now, value);
      holds = window.holds(now, rule.threshold);
    } else {
      holds = meets(code, group.a[index], group.b[index], value);
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
    let slot = entry.spare;
    if (slot !== null) {
      entry.spare = null;
      slot.restart(port, value, now);
    } else {
      slot = new Slot(entry, port, value, now);
    }
    if (port === null) entry.single = slot;
    else {
      entry.append(slot);
      entry.group?.place(slot);
    }
    entry.group?.updateBusy(entry);
    if (entry.rule.forMs > 0) {
      slot.deadline = now + entry.rule.forMs;
      this.#time(slot);
      this.#emitTo(slot, null, "pending", now);
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
        this.#untime(slot);
      } else if (!slot.firing) {
        if (now >= slot.deadline) this.#fire(slot, now, "pending");
        else this.#time(slot);
      }
      return true;
    }
    if (!slot.firing) {
      this.#drop(slot);
      this.#emitTo(slot, "pending", null, now);
      return false;
    }
    if (!slot.clear) {
      slot.clear = true;
      slot.deadline = now + slot.entry.rule.keepFiringForMs;
    }
    if (now < slot.deadline) {
      this.#time(slot);
      return true;
    }
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
    this.#untime(slot);
    this.#emitTo(slot, from, slot.state, now);
  }

  #resolve(slot: Slot, now: number): void {
    const from = slot.state;
    this.#drop(slot);
    slot.stateSince = now;
    this.#emitTo(slot, from, "resolved", now);
  }

  /** Takes an alert out (its transition is emitted next; then it is spare). */
  #drop(slot: Slot): void {
    const entry = slot.entry;
    entry.spare = slot;
    if (slot.port === null) entry.single = null;
    else {
      entry.unlink(slot);
      entry.group?.remove(slot);
    }
    entry.group?.updateBusy(entry);
    this.#untime(slot);
  }

  /** Puts `slot` in the timed set (waiting on its deadline, already set). */
  #time(slot: Slot): void {
    const group = slot.entry.group;
    if (group !== null && slot.deadline < group.deadlines[DUE]) {
      group.deadlines[DUE] = slot.deadline;
    }
    this.#lowerEarliest(slot.deadline);
    this.#timed.add(slot);
  }

  /** Takes `slot` out of the timed set. */
  #untime(slot: Slot): void {
    if (!slot.timed) return;
    this.#timed.delete(slot);
    this.#earliestKnown = false;
  }
}
