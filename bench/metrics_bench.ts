/**
 * Metrics cost: recording one event through the observer (the event path),
 * reading the rule-facing values, and one scrape with 1,000 ports (the
 * registry's text, and over HTTP from the real endpoint). Also the engine
 * (`PortSync.handle` on MemoryStore) with and without the metrics observer.
 *
 * ```sh
 * deno bench -A bench/metrics_bench.ts
 * ```
 * @module
 */

import { parseDbConfig } from "../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../src/config/settings.ts";
import { createLogger } from "../src/log/mod.ts";
import {
  EngineMetrics,
  MetricRegistry,
  registerEngine,
  registerProcess,
  registerWarmRestart,
  startMetrics,
} from "../src/metrics/mod.ts";
import type { NetlinkNotice } from "../src/netlink/types.ts";
import { link } from "../tests/sync/links.ts";
import { MemoryStore } from "../src/store/memory_store.ts";
import { Observers } from "../src/sync/observer.ts";
import { PortSync } from "../src/sync/port_sync.ts";
import { newCounters } from "../src/sync/stats.ts";
import { emptyCounters } from "../src/warm_restart/metrics.ts";

const log = createLogger("error");

const PORTS = Array.from({ length: 1000 }, (_, i) => `Ethernet${i * 4}`);
const LINKS = [false, true].map((up) =>
  PORTS.map((port) => link(port, { oper: up ? "up" : "down" }))
);

// The event path: a batch of one event (the worst case per event), as the
// engine reports it: through Observers.emit, with the clock advancing
// 10 µs per event so the rate ring and the latency window rotate.
{
  const engine = new EngineMetrics();
  const observers = new Observers(log);
  observers.add(engine);
  let clock = 0;
  let i = 0;
  Deno.bench({
    name:
      "event path: batchHandled + portChanged, 1 event per batch (via Observers.emit)",
    group: "event",
    baseline: true,
    fn() {
      const port = i % 1000;
      const link = LINKS[(i >> 10) & 1][port];
      i++;
      clock += 0.01;
      observers.emit("portChanged", link.name, link);
      observers.emit("batchHandled", {
        messages: 1,
        receivedAt: clock - 0.25,
        ackedAt: clock,
        writes: 1,
      });
    },
  });
  Deno.bench({
    name: "event path: batchHandled only, 1 event per batch (direct call)",
    group: "event",
    fn() {
      clock += 0.01;
      engine.batchHandled({
        messages: 1,
        receivedAt: clock - 0.25,
        ackedAt: clock,
        writes: 1,
      });
    },
  });
  Deno.bench({
    name:
      "event path: batch of 100 events (100 portChanged + 1 batchHandled, via emit)",
    group: "event",
    fn() {
      const links = LINKS[i++ & 1];
      clock += 1;
      for (let p = 0; p < 100; p++) {
        observers.emit("portChanged", links[p].name, links[p]);
      }
      observers.emit("batchHandled", {
        messages: 100,
        receivedAt: clock - 0.5,
        ackedAt: clock,
        writes: 100,
      });
    },
  });
}

/** The daemon's registry with 1,000 ports and some latency recorded. */
function fullRegistry(): { registry: MetricRegistry; engine: EngineMetrics } {
  const registry = new MetricRegistry();
  const engine = new EngineMetrics();
  registerEngine(registry, engine, { counters: newCounters() });
  registerWarmRestart(registry, {
    counters: emptyCounters(),
    healthScore: () => 1,
  });
  registerProcess(registry);
  const now = performance.now();
  for (const [index, link] of LINKS[1].entries()) {
    engine.portChanged(link.name, index % 4 === 0 ? LINKS[0][index] : link);
    engine.batchHandled({
      messages: 1,
      receivedAt: now - 0.1 - index / 1000,
      ackedAt: now,
      writes: 1,
    });
  }
  return { registry, engine };
}

{
  const { registry, engine } = fullRegistry();
  Deno.bench({
    name: "scrape: registry.metrics() text, 1,000 ports",
    group: "scrape",
    baseline: true,
    async fn() {
      await registry.metrics();
    },
  });
  Deno.bench({
    name:
      "rules: value('latency_p99_us') after a new event (HDR merge of 6 slots)",
    group: "rules",
    fn() {
      const now = performance.now();
      engine.batchHandled({
        messages: 1,
        receivedAt: now - 0.2,
        ackedAt: now,
        writes: 1,
      });
      registry.value("latency_p99_us");
    },
  });
  Deno.bench({
    name: "rules: value('port_oper_up', { port }) + value('events_total')",
    group: "rules",
    fn() {
      registry.value("port_oper_up", { port: "Ethernet400" });
      registry.value("events_total");
    },
  });
}

{
  const observers: Parameters<PortSync["observe"]>[0][] = [];
  const fake = {
    counters: newCounters(),
    observe(observer: Parameters<PortSync["observe"]>[0]) {
      observers.push(observer);
      return () => {};
    },
  };
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const metrics = startMetrics(fake, { listen: `127.0.0.1:${port}`, log });
  for (const link of LINKS[1]) observers[0].portChanged!(link.name, link);
  globalThis.addEventListener("unload", () => void metrics.close());
  Deno.bench({
    name: "scrape: GET /metrics over HTTP (keep-alive), 1,000 ports",
    group: "scrape",
    async fn() {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      await response.text();
    },
  });
}

// Engine throughput with and without the metrics observer: batches of 64
// messages over 32 ports on MemoryStore.
const config = parseDbConfig(BUILTIN_DB_CONFIG, { source: "bench" });
for (const observed of [false, true]) {
  const store = new MemoryStore(config);
  await store.db("APPL_DB").batch(
    PORTS.slice(0, 32).map((port) => ({
      op: "hset",
      key: `PORT_TABLE:${port}`,
      fields: { lanes: "0" },
    })),
  );
  const sync = new PortSync(store, { links: { requestDump: () => 1 }, log });
  if (observed) sync.observe(new EngineMetrics());
  const batches: NetlinkNotice[][] = [0, 1].map((round) =>
    Array.from({ length: 64 }, (_, i) => ({
      kind: "link" as const,
      event: LINKS[(i + round) & 1][i % 32],
      seq: 0,
    }))
  );
  let round = 0;
  Deno.bench({
    name: `engine: handle 64 messages, MemoryStore, ${
      observed ? "with" : "without"
    } EngineMetrics`,
    group: "engine",
    baseline: !observed,
    async fn() {
      await sync.handle(batches[round++ & 1]);
    },
  });
}
