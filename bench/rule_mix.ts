/**
 * The rule mix the alerting and engine benches evaluate: ten kinds cycled
 * over the metrics a batch changes (thresholds on counters and gauges,
 * per-port `port_oper_up`, rates of counters, latency, a `for` rule), and
 * the metric lists the benches evaluate after each batch and on the 1 s
 * timer.
 * @module
 */

import { parseRule } from "../src/alerting/rules.ts";
import type { AlertRule } from "../src/alerting/types.ts";

/** The counters and gauges a handled batch changes (what the alerting bench evaluates after each batch). */
export const BATCH_METRICS: readonly string[] = [
  "events_total",
  "batches_total",
  "state_writes_total",
  "ignored_messages_total",
  "ports_oper_up",
  "ports_oper_down",
  "port_oper_up",
  "latency_count",
];

/**
 * Windowed values (they also move with time alone, and reading a
 * percentile after a new event re-merges six HDR slots, ~4 µs): evaluated
 * on the daemon's 1 s timer, with `tick()` every 250 ms.
 */
export const WINDOWED_METRICS: readonly string[] = [
  "latency_p99_us",
  "events_per_second_1s",
];

/** Rule `i` of the mix. */
export function mixRule(i: number): AlertRule {
  const id = `rule_${i}`;
  const kinds: Record<string, unknown>[] = [
    { metric: "ports_oper_down", condition: "above", threshold: i % 3 },
    {
      metric: "port_oper_up",
      condition: "below",
      threshold: 1,
      description: "Port {{port}} is down",
    },
    {
      metric: "events_total",
      condition: "rate_of_change",
      threshold: 1e9 + i,
      window: "60s",
    },
    { metric: "latency_p99_us", condition: "above", threshold: 10_000 + i },
    { metric: "ports_oper_up", condition: "between", min: 0, max: 2 + i % 5 },
    { metric: "state_writes_total", condition: "above", threshold: 1e12 + i },
    { metric: "events_per_second_1s", condition: "above", threshold: 1e7 + i },
    {
      metric: "port_oper_up",
      condition: "equals",
      threshold: 0,
      for: "5s",
      keep_firing_for: "1s",
    },
    { metric: "batches_total", condition: "above", threshold: 1e12 + i },
    {
      metric: "ignored_messages_total",
      condition: "rate_of_change",
      threshold: 1e6 + i,
      window: "10s",
    },
  ];
  return parseRule({ id, ...kinds[i % kinds.length] });
}

/** The first `count` rules of the mix. */
export function mixRules(count: number): AlertRule[] {
  return Array.from({ length: count }, (_, i) => mixRule(i));
}
