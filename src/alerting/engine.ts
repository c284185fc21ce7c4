/**
 * The alerting engine: evaluates rules against the metric registry when
 * their metrics change, runs every alert through the state machine, keeps a
 * bounded history of transitions and hands each to the listeners. Pure: no
 * timers, no I/O; the clock is injected.
 *
 * State machine (per alert, `<rule id>` or `<rule id>|<port>`):
 *
 * - null → `pending` when the condition holds and `for` > 0; null →
 *   `firing` (or `suppressed`) at once when `for` is 0.
 * - `pending` → `firing`/`suppressed` once the condition has held for
 *   `for`; `pending` → null (gone, never fired) as soon as it is clear.
 * - `firing`/`suppressed` stay while the condition is clear for less than
 *   `keep_firing_for`, then → `resolved`: reported once and dropped, so a
 *   return is a new alert (null → `pending`/`firing`).
 * - `firing` ↔ `suppressed` when an operator's suppression starts, ends or
 *   expires; a suppressed alert keeps evaluating (and resolves as usual).
 *   Pending alerts are not suppressed (as Alertmanager silences only firing
 *   alerts).
 *
 * Time: `evaluate` and `tick` read the clock once. `for`,
 * `keep_firing_for`, suppression expiry and rate_of_change windows are
 * time-based: `tick()` applies whatever is due, and `nextDeadline()` says
 * when that next is, so the caller can call `tick` on a timer (every 250 ms)
 * or arm one timer at the deadline (re-armed after every call).
 *
 * What the caller evaluates: after each batch, the metrics the batch
 * changed (`evaluate(["events_total", "ports_oper_down", …])`, or
 * `evaluate()` for every metric a rule reads). Values that move with time
 * alone (`events_per_second_*`, `latency_*_us`, memory) change without an
 * event, so the caller also evaluates those on its timer (every second is
 * plenty).
 *
 * Cost: rules are indexed by metric; each metric is read once per
 * evaluation whatever the number of rules reading it; an evaluation that
 * makes no transition allocates nothing in the engine (alerts and rate
 * windows are updated in place; only transitions allocate their
 * snapshots). The reader's `value()` fast path reads an unlabelled metric
 * without allocating; a per-port metric's `series()` is the reader's cost.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import { TransitionRing } from "./history.ts";
import { RuleGroup } from "./groups.ts";
import { AlertMachine } from "./machine.ts";
import { RuleEntry, sameRule, type Slot } from "./slots.ts";
import { SuppressionIndex } from "./suppression_index.ts";
import type {
  Alert,
  AlertListener,
  AlertRule,
  AlertState,
  AlertTransition,
  MetricReader,
  Suppression,
} from "./types.ts";

/** Options of {@linkcode AlertEngine}. */
export interface AlertEngineOptions {
  /** Where metric values are read (the metric registry). */
  reader: MetricReader;
  /** Transitions kept by `history()` (`[alerting] history_size`); default 1000. */
  historySize?: number;
  /** The clock, epoch ms; default `Date.now`. */
  now?: () => number;
  /** Where listener failures and unreadable metrics are logged (once each). */
  log?: Logger;
}

/**
 * Evaluates alert rules (see the module doc for the state machine).
 *
 * @example
 * ```ts
 * import { AlertEngine } from "./engine.ts";
 * import { parseRule } from "./rules.ts";
 * let down = 0;
 * const engine = new AlertEngine({
 *   reader: { has: () => true, series: () => [{ labels: {}, value: down }] },
 * });
 * engine.setRules([parseRule({
 *   id: "any_port_down",
 *   metric: "ports_oper_down",
 *   condition: "above",
 *   threshold: 0,
 * })]);
 * const stop = engine.onTransition((t) => console.log(t.alert.key, t.from, t.to));
 * down = 2;
 * engine.evaluate(["ports_oper_down"]); // any_port_down null firing
 * stop();
 * ```
 */
export class AlertEngine {
  readonly #now: () => number;
  readonly #log: Logger | undefined;
  readonly #history: TransitionRing;
  readonly #suppressions = new SuppressionIndex();
  #rules: AlertRule[] = [];
  #byId = new Map<string, RuleEntry>();
  // The index: rules by metric, also as an array to walk without allocating.
  #groupOf = new Map<string, RuleGroup>();
  #metrics: string[] = [];
  #groups: RuleGroup[] = [];
  readonly #machine: AlertMachine;
  #listeners: AlertListener[] = [];
  readonly #queue: AlertTransition[] = [];
  #flushing = false;

  /** Creates an engine with no rules. */
  constructor(options: AlertEngineOptions) {
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    this.#history = new TransitionRing(options.historySize ?? 1000);
    this.#machine = new AlertMachine({
      reader: options.reader,
      suppressions: this.#suppressions,
      emit: (slot, from, to, at) => this.#emit(slot, from, to, at),
      log: options.log,
    });
  }

  /** The rules last given to `setRules` (disabled ones included). */
  rules(): AlertRule[] {
    return [...this.#rules];
  }

  /** The metrics enabled rules read (what `evaluate` looks at). */
  metrics(): string[] {
    return [...this.#metrics];
  }

  /**
   * Replaces the rules. An unchanged rule (every field equal) keeps its
   * alerts and their state. A changed, removed or disabled rule's alerts
   * end: each goes to null (`to: null`, whatever its state; as Prometheus
   * drops the alerts of a rule that is gone), and a changed rule starts
   * afresh. New and changed rules are evaluated at once. Throws RangeError
   * on a duplicate id (and changes nothing).
   */
  setRules(rules: readonly AlertRule[]): void {
    const ids = new Set<string>();
    for (const rule of rules) {
      if (ids.has(rule.id)) {
        throw new RangeError(`duplicate alert rule id "${rule.id}"`);
      }
      ids.add(rule.id);
    }
    const now = this.#now();
    const next = new Map<string, RuleEntry>();
    const fresh: RuleEntry[] = [];
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const old = this.#byId.get(rule.id);
      if (old !== undefined && sameRule(old.rule, rule)) {
        old.rule = rule;
        next.set(rule.id, old);
      } else {
        const entry = new RuleEntry(rule);
        next.set(rule.id, entry);
        fresh.push(entry);
      }
    }
    for (const [id, old] of this.#byId) {
      if (next.get(id) !== old) this.#machine.end(old, now);
    }
    this.#rules = [...rules];
    this.#byId = next;
    this.#index();
    for (const entry of fresh) {
      this.#machine.evaluateAlone(entry, now);
    }
    this.#flush();
  }

  /**
   * Replaces the operators' suppressions. Firing alerts they cover become
   * `suppressed`, suppressed ones they no longer cover return to `firing`;
   * expiry (`until`) is applied by `tick`.
   */
  setSuppressions(list: readonly Suppression[]): void {
    const now = this.#now();
    for (const ruleId of this.#suppressions.set(list, now)) {
      this.#resuppress(ruleId, now);
    }
    this.#flush();
  }

  /**
   * Evaluates the rules that read `metrics` (every rule when undefined):
   * each metric is read once, a per-port metric (series with a `port`
   * label) gives one alert per port, and a series that is gone counts as
   * the condition clear. Never throws: an unreadable metric is logged once
   * and its alerts count as clear.
   */
  evaluate(metrics?: Iterable<string>): void {
    const now = this.#now();
    try {
      if (metrics === undefined) {
        for (let i = 0; i < this.#metrics.length; i++) {
          this.#machine.evaluate(this.#groups[i], now);
        }
      } else if (Array.isArray(metrics)) {
        for (let i = 0; i < metrics.length; i++) {
          const group = this.#groupOf.get(metrics[i]);
          if (group !== undefined) this.#machine.evaluate(group, now);
        }
      } else {
        for (const metric of metrics) {
          const group = this.#groupOf.get(metric);
          if (group !== undefined) this.#machine.evaluate(group, now);
        }
      }
    } catch (error) {
      this.#log?.warn("alert evaluation failed", { error: String(error) });
    }
    this.#flush();
  }

  /**
   * Applies what is due at the clock's time: `for` elapsed (pending →
   * firing), `keep_firing_for` elapsed (→ resolved), suppressions expired,
   * and rate_of_change windows that slid past a sample (those rules are
   * read and evaluated again). Cheap when nothing is due.
   */
  tick(): void {
    const now = this.#now();
    try {
      if (now >= this.#suppressions.nextExpiry) {
        for (const ruleId of this.#suppressions.expire(now)) {
          this.#resuppress(ruleId, now);
        }
      }
      this.#machine.tick(now);
    } catch (error) {
      this.#log?.warn("alert tick failed", { error: String(error) });
    }
    this.#flush();
  }

  /**
   * When `tick` next has something to do (epoch ms, possibly already past),
   * or null when nothing is waiting on time.
   */
  nextDeadline(): number | null {
    const next = Math.min(
      this.#suppressions.nextExpiry,
      this.#machine.nextDeadline(),
    );
    return next === Infinity ? null : next;
  }

  /** The current alerts (pending, firing, suppressed), by rule then port. */
  active(): Alert[] {
    const alerts: Alert[] = [];
    for (const entry of this.#byId.values()) {
      for (const slot of entry.slots()) {
        alerts.push(slot.snapshot(slot.state));
      }
    }
    return alerts;
  }

  /** The last `historySize` transitions, oldest first. */
  history(): AlertTransition[] {
    return this.#history.toArray();
  }

  /**
   * Adds a listener, called with every transition after the evaluation
   * (or tick, or rule change) that made it, in the order listeners were
   * added. A listener that throws is logged; the others still run. Returns
   * its removal.
   */
  onTransition(listener: AlertListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((other) => other !== listener);
    };
  }

  #index(): void {
    const byMetric = new Map<string, RuleEntry[]>();
    for (const entry of this.#byId.values()) {
      const group = byMetric.get(entry.rule.metric);
      if (group === undefined) byMetric.set(entry.rule.metric, [entry]);
      else group.push(entry);
    }
    const groupOf = new Map<string, RuleGroup>();
    for (const [metric, entries] of byMetric) {
      groupOf.set(metric, new RuleGroup(metric, entries));
    }
    this.#groupOf = groupOf;
    this.#metrics = [...groupOf.keys()];
    this.#groups = [...groupOf.values()];
  }

  #resuppress(ruleId: string, now: number): void {
    const entry = this.#byId.get(ruleId);
    if (entry !== undefined) this.#machine.resuppress(entry, now);
  }

  #emit(
    slot: Slot,
    from: AlertState | null,
    to: AlertState | null,
    at: number,
  ): void {
    const transition: AlertTransition = {
      alert: slot.snapshot(to ?? from!),
      from,
      to,
      at,
    };
    this.#history.push(transition);
    this.#queue.push(transition);
  }

  /** Hands queued transitions to the listeners (once; re-entry appends). */
  #flush(): void {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    try {
      for (let i = 0; i < this.#queue.length; i++) {
        const transition = this.#queue[i];
        for (const listener of this.#listeners) {
          try {
            listener(transition);
          } catch (error) {
            this.#log?.warn("alert listener failed", {
              alert: transition.alert.key,
              error: error instanceof Error ? error.message : String(error),
            });
          }
        }
      }
    } finally {
      this.#queue.length = 0;
      this.#flushing = false;
    }
  }
}
