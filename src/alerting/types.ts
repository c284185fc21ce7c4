/**
 * The alerting engine's data: rules, alerts, transitions, suppressions and
 * what the engine reads metrics through. Pure types, shared by the engine
 * (pure), the CONFIG_DB follower, the APPL_DB publisher, the Alertmanager
 * sender and `--status`.
 * @module
 */

/** How a rule compares its metric's value. */
export type Condition =
  | "above"
  | "below"
  | "equals"
  | "between"
  | "rate_of_change";

/** An alert's severity. */
export type Severity = "info" | "warning" | "critical";

/** One validated rule (from the config file or CONFIG_DB `PORTSYNCD_ALERT_RULE|<id>`). */
export interface AlertRule {
  /** Unique, `[A-Za-z0-9_.-]+`. */
  id: string;
  /** A rule-facing metric name of the registry (e.g. `ports_oper_down`). */
  metric: string;
  /** How the value is compared. */
  condition: Condition;
  /** above / below / equals / rate_of_change (per second). */
  threshold: number;
  /** equals: |value - threshold| <= epsilon. */
  epsilon: number;
  /** between: min <= value <= max (inclusive). */
  min: number;
  /** between. */
  max: number;
  /** rate_of_change: the window the rate is taken over, in ms. */
  windowMs: number;
  /** The condition must hold this long before Firing, in ms. */
  forMs: number;
  /** The condition must be clear this long before Resolved, in ms. */
  keepFiringForMs: number;
  /** Severity of its alerts. */
  severity: Severity;
  /** A disabled rule keeps no alerts. */
  enabled: boolean;
  /** Message template; `{{port}}`, `{{value}}`, `{{rule}}`, `{{threshold}}` are replaced. */
  description: string;
}

/**
 * An alert's state. `pending`: the condition holds, `for` not yet elapsed.
 * `firing`: it held for `for` (and stays until clear for `keep_firing_for`).
 * `suppressed`: would be firing, but an operator suppressed it.
 * `resolved`: was firing or suppressed, now clear for `keep_firing_for`
 * (reported once, then the alert is gone).
 */
export type AlertState = "pending" | "firing" | "suppressed" | "resolved";

/** One alert: a rule, or a rule and a port for per-port metrics. */
export interface Alert {
  /** `<rule id>` or `<rule id>|<port>`. */
  key: string;
  /** The rule. */
  ruleId: string;
  /** The port, for a per-port metric; null otherwise. */
  port: string | null;
  /** Current state. */
  state: AlertState;
  /** The rule's severity. */
  severity: Severity;
  /** The metric's value at the last evaluation. */
  value: number;
  /** When the condition began to hold (epoch ms); `since` of the published alert. */
  activeSince: number;
  /** When the current state began (epoch ms). */
  stateSince: number;
  /** The rule's description with its placeholders filled in. */
  message: string;
}

/** A change of an alert's state. `from` null: new; `to` null: gone (pending that cleared). */
export interface AlertTransition {
  /** The alert after the transition (a snapshot). */
  alert: Readonly<Alert>;
  /** The state before, or null for a new alert. */
  from: AlertState | null;
  /** The state after, or null when the alert is dropped without firing. */
  to: AlertState | null;
  /** When (epoch ms). */
  at: number;
}

/** Receives transitions in order; one that throws does not stop the others. */
export type AlertListener = (transition: AlertTransition) => void;

/** An operator's suppression (CONFIG_DB `PORTSYNCD_ALERT_SUPPRESS|<rule id>[|<port>]`). */
export interface Suppression {
  /** The rule. */
  ruleId: string;
  /** One port's alert, or null for every alert of the rule. */
  port: string | null;
  /** Until when (epoch ms), or null for indefinitely. */
  until: number | null;
}

/** One series of a metric: its labels (e.g. `{ port }`) and value. */
export interface MetricSample {
  /** Labels; empty for an unlabelled metric. */
  labels: Record<string, string>;
  /** Current value. */
  value: number;
}

/**
 * What the engine reads metrics through (the metric registry implements
 * it): `has` for validation, `series` for evaluation.
 */
export interface MetricReader {
  /** True when `metric` is a rule-facing name. */
  has(metric: string): boolean;
  /** Every series of `metric` now (one, with empty labels, when unlabelled). */
  series(metric: string): MetricSample[];
  /**
   * Optional fast path: the value of an unlabelled `metric` without
   * allocating, or undefined for a labelled one (then `series` is read).
   * `MetricRegistry.value` is one.
   */
  value?(metric: string): number | undefined;
  /**
   * Optional fast path: for a per-port metric (one label, `port`), its
   * series as a map from port to value, read without copying (the engine
   * only reads it, at once), or undefined for a metric of another shape
   * (then `series` is read). `MetricRegistry.byPort` is one.
   */
  byPort?(metric: string): ReadonlyMap<string, number> | undefined;
}
