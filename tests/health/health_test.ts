/**
 * The health verdict from its thresholds (a table), and the HealthMonitor's
 * report in STATE_DB over the memory store.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { defaultConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log/mod.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { assessHealth, type HealthSnapshot } from "../../src/health/assess.ts";
import { HealthMonitor, type HealthSources } from "../../src/health/monitor.ts";

const { report_interval_ms: _, ...THRESHOLDS } = defaultConfig().health;

const FINE: HealthSnapshot = {
  latencyP99Us: 300,
  queueDepth: 0,
  healthScore: 1,
  storeFailing: false,
  newOverflows: 0,
};

Deno.test("health: each threshold crossed gives its reason, the worst status wins", () => {
  const table: [Partial<HealthSnapshot>, string, string[]][] = [
    [{}, "healthy", []],
    [{ latencyP99Us: null }, "healthy", []],
    [{ latencyP99Us: 10_000 }, "healthy", []],
    [{ latencyP99Us: 10_001 }, "degraded", ["latency p99 10001 µs > 10000 µs"]],
    [{ latencyP99Us: 100_001 }, "unhealthy", [
      "latency p99 100001 µs > 100000 µs",
    ]],
    [{ queueDepth: 1_001 }, "degraded", ["queue depth 1001 > 1000"]],
    [{ queueDepth: 50_001 }, "unhealthy", ["queue depth 50001 > 50000"]],
    [{ healthScore: 0.7 }, "healthy", []],
    [{ healthScore: 0.6 }, "healthy", []],
    [{ healthScore: 0.59 }, "degraded", ["health score 0.59 < 0.6"]],
    [{ healthScore: 0.29 }, "unhealthy", ["health score 0.29 < 0.3"]],
    [{ storeFailing: true }, "unhealthy", ["store writes failing"]],
    [{ newOverflows: 2 }, "degraded", ["2 netlink overflow(s)"]],
    [{ newOverflows: 1, storeFailing: true }, "unhealthy", [
      "store writes failing",
      "1 netlink overflow(s)",
    ]],
  ];
  for (const [change, status, reasons] of table) {
    const verdict = assessHealth({ ...FINE, ...change }, THRESHOLDS);
    assert.deepEqual(
      verdict,
      { status, reasons },
      `for ${JSON.stringify(change)}`,
    );
  }
});

function sources(change: Partial<Record<keyof HealthSources, unknown>> = {}) {
  const values = {
    latency: { p50_us: 120, p95_us: 300, p99_us: 900, max_us: 2000, count: 5 },
    eventsPerSecond: 12.34,
    queueDepth: 3,
    healthScore: 1,
    storeFailing: false,
    overflows: 0,
    flaps: new Map([["Ethernet0", 2], ["Ethernet4", 0]]),
    ...change,
  };
  const live: HealthSources = {
    latency: () => values.latency as ReturnType<HealthSources["latency"]>,
    eventsPerSecond: () => values.eventsPerSecond as number,
    queueDepth: () => values.queueDepth as number,
    healthScore: () => values.healthScore as number,
    storeFailing: () => values.storeFailing as boolean,
    overflows: () => values.overflows as number,
    portFlaps: () => values.flaps as Map<string, number>,
  };
  return { values, live };
}

Deno.test("health monitor: the report lands in STATE_DB PORTSYNCD_HEALTH_TABLE|portsyncd and a change of status is logged once", async () => {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }),
  );
  const logs: string[] = [];
  const { values, live } = sources();
  const monitor = new HealthMonitor({
    state: store.db("STATE_DB"),
    sources: live,
    thresholds: THRESHOLDS,
    intervalMs: 1000,
    log: createLogger("info", { sink: (line) => logs.push(line) }),
    now: () => new Date("2026-11-25T10:00:00.000Z"),
  });
  await monitor.report();
  const row = () =>
    store.db("STATE_DB").hgetall("PORTSYNCD_HEALTH_TABLE|portsyncd");
  const first = await row();
  assert.equal(first.status, "healthy");
  assert.equal(first.reasons, "");
  assert.equal(first.latency_p50_us, "120");
  assert.equal(first.latency_p99_us, "900");
  assert.equal(first.events_per_second, "12.3");
  assert.equal(first.queue_depth, "3");
  assert.equal(first.health_score, "1");
  assert.equal(first.updated, "2026-11-25T10:00:00.000Z");
  assert.ok(Number(first.memory_rss_bytes) > 1_000_000);
  const stats = (port: string) =>
    store.db("STATE_DB").hgetall(`PORTSYNCD_PORT_STATS|${port}`);
  assert.deepEqual(await stats("Ethernet0"), { flaps: "2" });
  assert.deepEqual(await stats("Ethernet4"), { flaps: "0" });
  values.overflows = 3;
  values.flaps = new Map([["Ethernet0", 3]]);
  await monitor.report();
  assert.equal((await row()).status, "degraded");
  assert.equal((await row()).reasons, "3 netlink overflow(s)");
  assert.deepEqual(await stats("Ethernet0"), { flaps: "3" });
  assert.deepEqual(await stats("Ethernet4"), {}, "a gone port's stats go");
  await monitor.report();
  assert.equal((await row()).status, "healthy", "overflows count once");
  assert.deepEqual(logs, [
    'WARN health: degraded reasons="3 netlink overflow(s)"',
    "INFO health: healthy again (was degraded)",
  ]);
  await store.close();
});
