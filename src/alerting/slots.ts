/**
 * The engine's mutable state: one {@linkcode RuleEntry} per enabled rule and
 * one {@linkcode Slot} per alert it holds (pending, firing or suppressed).
 * Evaluations update these in place; only transitions allocate (a
 * {@linkcode Slot.snapshot}).
 * @module
 */

import type { RateWindow } from "./conditions.ts";
import type { RuleGroup } from "./groups.ts";
import { renderMessage } from "./template.ts";
import type { Alert, AlertRule, AlertState } from "./types.ts";

/** An enabled rule and its alerts. */
export class RuleEntry {
  /** The rule. */
  rule: AlertRule;
  /** The alert without a port (an unlabelled metric), or null. */
  single: Slot | null = null;
  /**
   * Alerts by port (a per-port metric), in the order they began: a list
   * through `Slot.prev`/`Slot.next` (the group finds one by port).
   */
  first: Slot | null = null;
  /** The last alert by port. */
  last: Slot | null = null;
  /** Alerts by port. */
  portAlerts = 0;
  /**
   * The alert that ended last, kept to start the rule's next one without
   * allocating (a flapping port ends and starts alerts all the time).
   */
  spare: Slot | null = null;
  /** rate_of_change rules: their windows (null for the others). */
  rates: RateState | null = null;
  /** Evaluation count (marks the series seen in the current one). */
  generation = 0;
  /** The group of the index the rule is in. */
  group: RuleGroup | null = null;
  /** Place in `group`. */
  index = 0;

  /** Creates the entry of `rule`, with no alerts. */
  constructor(rule: AlertRule) {
    this.rule = rule;
  }

  /** True when the rule holds an alert. */
  holdsAlerts(): boolean {
    return this.single !== null || this.portAlerts > 0;
  }

  /** Every alert of the rule, the one without a port first (allocates). */
  slots(): Slot[] {
    const slots = this.single === null ? [] : [this.single];
    for (let slot = this.first; slot !== null; slot = slot.next) {
      slots.push(slot);
    }
    return slots;
  }

  /** Appends a port's alert to the list. */
  append(slot: Slot): void {
    slot.prev = this.last;
    slot.next = null;
    if (this.last === null) this.first = slot;
    else this.last.next = slot;
    this.last = slot;
    this.portAlerts++;
  }

  /** Takes a port's alert out of the list. */
  unlink(slot: Slot): void {
    if (slot.prev === null) this.first = slot.next;
    else slot.prev.next = slot.next;
    if (slot.next === null) this.last = slot.prev;
    else slot.next.prev = slot.prev;
    slot.prev = null;
    slot.next = null;
    this.portAlerts--;
  }
}

/** The sliding windows of a rate_of_change rule. */
export class RateState {
  /** The window of the unlabelled series, or null. */
  single: RateWindow | null = null;
  /** The windows of per-port series; null until the first. */
  ports: Map<string, RateWindow> | null = null;
  /** When a window next slides past a sample (Infinity: never). */
  deadline: number = Infinity;
  /** In the machine's set of rules waiting on a window. */
  timed = false;
}

/**
 * One alert's state. Published state: `pending` until `firing` is set,
 * then `firing` or `suppressed`. `clear` (only while firing): the condition
 * no longer holds, and `deadline` is when keep_firing_for ends.
 */
export class Slot {
  /** The rule's entry. */
  readonly entry: RuleEntry;
  /** The port, or null. */
  port: string | null;
  /** `<rule id>` or `<rule id>|<port>`. */
  key: string;
  /** Past `for`: firing (or suppressed). */
  firing = false;
  /** Firing but suppressed by an operator. */
  suppressed = false;
  /** Firing, and the condition no longer holds. */
  clear = false;
  /** The metric's value at the last evaluation. */
  value: number;
  /** When the condition began to hold (epoch ms). */
  activeSince: number;
  /** When the published state began (epoch ms). */
  stateSince: number;
  /** When `tick` must look at it (end of `for` or `keep_firing_for`); Infinity: never. */
  deadline: number = Infinity;
  /** The evaluation that last saw its series. */
  seen = 0;
  /** The mark of its place in the machine's timed set; 0 when not in it. */
  timedMark = 0;
  /** Neighbours in the rule's list of alerts by port. */
  prev: Slot | null = null;
  /** See `prev`. */
  next: Slot | null = null;
  /** The group's column of its port (`RuleGroup.place`), or -1. */
  column: number = -1;

  /** Creates a new alert of `entry` for `port`, seen at `now` with `value`. */
  constructor(
    entry: RuleEntry,
    port: string | null,
    value: number,
    now: number,
  ) {
    this.entry = entry;
    this.port = port;
    const id = entry.rule.id;
    this.key = port === null ? id : `${id}|${port}`;
    this.value = value;
    this.activeSince = now;
    this.stateSince = now;
  }

  /** Makes an ended alert of the rule new again for `port`, seen at `now` with `value`. */
  restart(port: string | null, value: number, now: number): void {
    if (port !== this.port) {
      this.port = port;
      const id = this.entry.rule.id;
      this.key = port === null ? id : `${id}|${port}`;
    }
    this.firing = false;
    this.suppressed = false;
    this.clear = false;
    this.value = value;
    this.activeSince = now;
    this.stateSince = now;
    this.deadline = Infinity;
    this.seen = 0;
  }

  /** The published state. */
  get state(): AlertState {
    if (!this.firing) return "pending";
    return this.suppressed ? "suppressed" : "firing";
  }

  /** Waiting in the machine's timed set (on `for` or `keep_firing_for`). */
  get timed(): boolean {
    return this.timedMark !== 0;
  }

  /**
   * A copy as an {@linkcode Alert} in `state`, shared by the history and
   * every listener (typed read-only; not frozen, which would cost ~25% of a
   * transition).
   */
  snapshot(state: AlertState): Readonly<Alert> {
    const rule = this.entry.rule;
    return ({
      key: this.key,
      ruleId: rule.id,
      port: this.port,
      state,
      severity: rule.severity,
      value: this.value,
      activeSince: this.activeSince,
      stateSince: this.stateSince,
      message: renderMessage(rule, this),
    });
  }
}

/**
 * True when two rules have the same fields (a rule given again unchanged
 * keeps its alerts).
 *
 * @example
 * ```ts
 * import type { AlertRule } from "./types.ts";
 * declare const rule: AlertRule;
 * sameRule(rule, { ...rule }); // true
 * sameRule(rule, { ...rule, forMs: rule.forMs + 1 }); // false
 * ```
 */
export function sameRule(a: AlertRule, b: AlertRule): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as (keyof AlertRule)[];
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.is(a[key], b[key]));
}
