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
import { parseDbConfig } from "../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../src/config/settings.ts";
import type { Logger } from "../src/log/mod.ts";
import { type RunningMetrics, startMetrics } from "../src/metrics/mod.ts";
import { MemoryStore } from "../src/store/memory_store.ts";
import { PortSync } from "../src/sync/port_sync.ts";
import { concatMessages } from "../src/netlink/mod.ts";
import { LINK_FIXTURES } from "../tests/netlink/fixtures.ts";

/** The ports the benches' captured messages name, all in APPL_DB. */
export const BENCH_PORTS: readonly string[] = [
  "Ethernet0",
  "Ethernet4",
  "Ethernet8",
  "Ethernet12",
];

/**
 * A port sync engine on a memory store with {@linkcode BENCH_PORTS} in
 * APPL_DB, and the daemon's metric registry observing it (closed on unload).
 */
export async function benchEngine(
  log: Logger,
): Promise<{ sync: PortSync; metrics: RunningMetrics }> {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "bench" }),
  );
  await store.db("APPL_DB").batch(BENCH_PORTS.map((port) => ({
    op: "hset",
    key: `PORT_TABLE:${port}`,
    fields: { lanes: "0", speed: "100000" },
  })));
  const sync = new PortSync(store, { links: { requestDump: () => 1 }, log });
  const metrics = startMetrics(sync, { listen: "", log });
  globalThis.addEventListener("unload", () => void metrics.close());
  return { sync, metrics };
}

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

/** `count` captured messages (by fixture index, cycled) in one datagram. */
export function datagram(indexes: number[], count: number): Uint8Array {
  return concatMessages(
    Array.from(
      { length: count },
      (_, i) => LINK_FIXTURES[indexes[i % indexes.length]].bytes,
    ),
  );
}
