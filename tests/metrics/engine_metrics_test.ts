/**
 * EngineMetrics on a scripted engine (MemoryStore + PortSync handle calls):
 * counts, per-port gauges, latency, rates with an injected clock, queue
 * depth, and what the loop reports.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { createLogger } from "../../src/log/mod.ts";
import {
  EngineMetrics,
  MetricRegistry,
  registerEngine,
} from "../../src/metrics/mod.ts";
import type { NetlinkNotice } from "../../src/netlink/types.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { StoreError } from "../../src/store/types.ts";
import { SyncLoop } from "../../src/sync/loop.ts";
import { PortSync } from "../../src/sync/port_sync.ts";
import { link } from "../sync/links.ts";

const PORTS = ["Ethernet0", "Ethernet4", "Ethernet8"];

/** A memory-store engine with three configured ports, observed by EngineMetrics. */
async function scripted() {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }),
  );
  for (const port of PORTS) {
    await store.db("CONFIG_DB").hset(`PORT|${port}`, { lanes: "0" });
    await store.db("APPL_DB").hset(`PORT_TABLE:${port}`, { lanes: "0" });
  }
  const dumps: number[] = [];
  const links = { requestDump: () => dumps.push(100 + dumps.length) + 99 };
  const sync = new PortSync(store, { links, log: createLogger("error") });
  const engine = new EngineMetrics({ queueDepth: () => 17 });
  const registry = new MetricRegistry();
  registerEngine(registry, engine, { counters: sync.counters });
  sync.observe(engine);
  return { store, sync, engine, registry, dumps };
}

function linkNotice(
  ...args: Parameters<typeof link>
): NetlinkNotice {
  return { kind: "link", event: link(...args), seq: 0 };
}

Deno.test("engine metrics: events, batches and ports up/down from handled batches", async () => {
  const { sync, engine, registry } = await scripted();
  await sync.start();
  assert.equal(registry.value("dumps_requested_total"), 1);
  assert.equal(registry.value("warm_start"), 0);
  await sync.handle([
    linkNotice("Ethernet0"),
    linkNotice("Ethernet4", { oper: "down" }),
    linkNotice("Ethernet8"),
    linkNotice("Ethernet8", { oper: "down" }),
  ]);
  assert.equal(registry.value("events_total"), 4);
  assert.equal(registry.value("batches_total"), 1);
  assert.equal(registry.value("ports_oper_up"), 1);
  assert.equal(registry.value("ports_oper_down"), 2);
  assert.deepEqual(registry.series("port_oper_up"), [
    { labels: { port: "Ethernet0" }, value: 1 },
    { labels: { port: "Ethernet4" }, value: 0 },
    { labels: { port: "Ethernet8" }, value: 0 },
  ]);
  // Ethernet4 comes up, Ethernet8 is deleted, eth0 is not a port.
  await sync.handle([
    linkNotice("Ethernet4"),
    linkNotice("Ethernet8", { type: "dellink", oper: "down" }),
    linkNotice("eth0", { ifindex: 2 }),
  ]);
  assert.equal(registry.value("events_total"), 7);
  assert.equal(registry.value("batches_total"), 2);
  assert.equal(registry.value("ignored_messages_total"), 1);
  assert.equal(registry.value("ports_oper_up"), 2);
  assert.equal(registry.value("ports_oper_down"), 0);
  assert.equal(registry.value("port_oper_up", { port: "Ethernet4" }), 1);
  assert.equal(
    registry.value("port_oper_up", { port: "Ethernet8" }),
    undefined,
  );
  assert.doesNotMatch(await registry.metrics(), /Ethernet8/);
  assert.equal(
    registry.value("state_writes_total"),
    sync.counters.stateWrites + sync.counters.stateDeletes,
  );
  assert.ok(registry.value("state_writes_total")! >= 5);
  assert.equal(registry.value("queue_depth"), 17);
  assert.equal(engine.queueDepth(), 17);
});

Deno.test("engine metrics: a dump, an overflow, PortInitDone and a repair are counted", async () => {
  const { store, sync, registry, dumps } = await scripted();
  await sync.start();
  await sync.handle([
    ...PORTS.map((port) => ({
      kind: "link" as const,
      event: link(port),
      seq: dumps[0],
    })),
    { kind: "dump_done", seq: dumps[0] },
  ]);
  assert.equal(registry.value("reconciles_total"), 1);
  assert.equal(registry.value("events_total"), 3);
  assert.equal(sync.initDone, true);
  assert.equal(registry.value("port_init_done"), 1);
  await store.db("STATE_DB").del("PORT_TABLE|Ethernet0");
  await store.db("STATE_DB").del("PORT_TABLE|Ethernet4");
  await sync.verify();
  assert.equal(registry.value("state_repairs_total"), 2);
  await sync.handle([{ kind: "overflow" }]);
  assert.equal(registry.value("netlink_overflows_total"), 1);
  assert.equal(registry.value("dumps_requested_total"), 2);
  assert.equal(registry.value("batches_total"), 2);
});

Deno.test("engine metrics: each message of a batch counts with the batch's latency", async () => {
  const { sync, engine, registry } = await scripted();
  // Read 5 ms before handling: every message waited at least that long.
  const receivedAt = performance.now() - 5;
  await sync.handle([
    linkNotice("Ethernet0"),
    linkNotice("Ethernet4"),
    linkNotice("Ethernet8"),
  ], { receivedAt });
  const latency = engine.latency();
  assert.equal(latency.count, 3);
  assert.ok(latency.p50_us >= 5000, `p50 ${latency.p50_us} µs ≥ 5 ms`);
  assert.equal(latency.p99_us, latency.max_us, "one batch: one latency");
  assert.equal(registry.value("latency_count"), 3);
  assert.equal(registry.value("latency_p99_us"), latency.p99_us);
  const text = await registry.metrics();
  assert.match(text, /^portsyncd_event_latency_seconds_count 3$/m);
  assert.match(
    text,
    /^portsyncd_event_latency_seconds_bucket\{le="0.002"\} 0$/m,
  );
  assert.match(
    text,
    /^portsyncd_event_latency_seconds_bucket\{le="\+Inf"\} 3$/m,
  );
});

Deno.test("engine metrics: events per second with an injected clock", () => {
  let now = 0;
  const engine = new EngineMetrics({ now: () => now });
  const registry = new MetricRegistry();
  registerEngine(registry, engine);
  // 100 messages per second in two batches a second, for 20 s.
  for (let ms = 0; ms < 20_000; ms += 500) {
    engine.batchHandled({
      messages: 50,
      receivedAt: ms - 1,
      ackedAt: ms,
      writes: 50,
    });
  }
  now = 20_000;
  assert.equal(engine.eventsPerSecond(1), 100);
  assert.equal(engine.eventsPerSecond(10), 100);
  assert.equal(engine.eventsPerSecond(60), 100, "20 s seen so far");
  assert.equal(registry.value("events_per_second_10s"), 100);
  now = 25_000;
  assert.equal(engine.eventsPerSecond(10), 50, "5 idle seconds");
  assert.equal(registry.value("events_per_second_1s"), 0);
  // The latency window is six 10 s slots: at 50 s it holds every batch.
  now = 50_000;
  assert.equal(engine.latency().count, 50 * 2 * 20);
  // 1 ms each, to within one HDR bucket (1/128 above 255 µs).
  assert.ok(Math.abs(engine.latency().p99_us - 1000) <= 1000 / 128);
  now = 60_000;
  assert.equal(engine.latency().count, 50 * 2 * 10, "0–10 s is gone");
  now = 70_000;
  assert.equal(registry.value("latency_p50_us"), 0);
  assert.equal(engine.latency().count, 0);
});

Deno.test("engine metrics: store reconnects and failures reported by the loop", () => {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }),
  );
  const sync = new PortSync(store, {
    links: { requestDump: () => 1 },
    log: createLogger("error"),
  });
  const engine = new EngineMetrics();
  const registry = new MetricRegistry();
  registerEngine(registry, engine);
  sync.observe(engine);
  const loop = new SyncLoop(sync, {
    links: { requestDump: () => 1, receive: () => Promise.resolve([]) },
    log: createLogger("error"),
  });
  let reconnect: ((database: string) => void) | null = null;
  loop.followStore({
    kind: store.kind,
    db: (name: string) => store.db(name),
    close: () => store.close(),
    onReconnect(listener: (database: string) => void) {
      reconnect = listener;
      return () => reconnect = null;
    },
  });
  reconnect!("STATE_DB");
  reconnect!("APPL_DB");
  assert.equal(registry.value("redis_reconnects_total"), 2);
  assert.equal(sync.counters.reconnects, 2);
  engine.storeFailed(new StoreError("OOM command not allowed"));
  assert.equal(registry.value("store_failures_total"), 1);
});
