/**
 * Alerting cost on the event path: events/s through decode (captured kernel
 * messages, `decodeNotices`) + sync decisions and writes (`PortSync.handle`
 * on MemoryStore) + the real metric registry (`startMetrics`, EngineMetrics
 * observing) + the alert engine evaluating the batch's metrics, with 0, 10,
 * 50 and 1,000 rules of the mix in `rule_mix.ts`. Three shapes of traffic: 64-message datagrams that
 * leave the ports as they were (no transitions: the steady state), 64-message
 * datagrams that take Ethernet0/4 down and up in turn (per-port and
 * ports_oper_down alerts fire and resolve every batch), and one message per
 * batch (the worst case per event).
 *
 * ```sh
 * deno bench -A bench/alerting_bench.ts
 * ```
 *
 * Events/s = messages per iteration / time per iteration. Memory per rule
 * and per alert: `tools/alerting_heap.ts`.
 * @module
 */

import { AlertEngine } from "../src/alerting/engine.ts";
import { createLogger } from "../src/log/mod.ts";
import { decodeNotices } from "../src/netlink/mod.ts";
import { LINK_FIXTURES } from "../tests/netlink/fixtures.ts";
import {
  BATCH_METRICS,
  benchEngine,
  datagram,
  mixRules,
  WINDOWED_METRICS,
} from "./rule_mix.ts";

const log = createLogger("error");

const ALL = LINK_FIXTURES.map((_, i) => i);
// Fixture messages: 8 Ethernet4 up, 9-11 Ethernet0 up; 12 Ethernet0 down,
// 13 Ethernet4 down (oper), 1-4 the dump (all down).
const STEADY = datagram(ALL, 64);
const FLAP = [datagram([8, 9, 10, 11], 64), datagram([12, 13, 1, 2, 3, 4], 64)];
const SINGLES = ALL.map((i) => datagram([i], 1));

const { sync, metrics } = await benchEngine(log);

/** An engine on the registry with `count` rules of the mix. */
function engine(count: number): AlertEngine {
  const alerts = new AlertEngine({ reader: metrics.registry, log });
  alerts.setRules(mixRules(count));
  return alerts;
}

let tickAt = 0;
let windowedAt = 0;

/** One drained batch as the daemon handles it, then its alert evaluation. */
async function batch(bytes: Uint8Array, alerts: AlertEngine): Promise<void> {
  await sync.handle(decodeNotices(bytes));
  alerts.evaluate(BATCH_METRICS);
  // The daemon's timers, on the wall clock.
  const now = performance.now();
  if (now < tickAt) return;
  tickAt = now + 250;
  alerts.tick();
  if (now < windowedAt) return;
  windowedAt = now + 1000;
  alerts.evaluate(WINDOWED_METRICS);
}

for (const count of [0, 10, 50, 1000]) {
  const alerts = engine(count);
  Deno.bench({
    name: `64 messages (steady), ${count} rules`,
    group: "64 messages, steady",
    baseline: count === 0,
    async fn() {
      await batch(STEADY, alerts);
    },
  });
}

for (const count of [0, 10, 50, 1000]) {
  const alerts = engine(count);
  let round = 0;
  Deno.bench({
    name: `64 messages (Ethernet0/4 flap), ${count} rules`,
    group: "64 messages, flapping",
    baseline: count === 0,
    async fn() {
      await batch(FLAP[round++ & 1], alerts);
    },
  });
}

for (const count of [0, 10, 50, 1000]) {
  const alerts = engine(count);
  let next = 0;
  Deno.bench({
    name: `1 message per batch, ${count} rules`,
    group: "1 message",
    baseline: count === 0,
    async fn() {
      await batch(SINGLES[next++ % SINGLES.length], alerts);
    },
  });
}

{
  const alerts = engine(50);
  let next = 0;
  Deno.bench({
    name:
      "1 message per batch, 50 rules, windowed metrics read after each batch too",
    group: "1 message",
    async fn() {
      await sync.handle(decodeNotices(SINGLES[next++ % SINGLES.length]));
      alerts.evaluate(BATCH_METRICS);
      alerts.evaluate(WINDOWED_METRICS);
    },
  });
}

// The engine alone, on the registry after the flapping batches: one
// evaluation of the batch's metrics (no decode, no sync).
for (const count of [10, 50, 1000]) {
  const alerts = engine(count);
  Deno.bench({
    name: `engine.evaluate(batch metrics) alone, ${count} rules`,
    group: "evaluate alone",
    fn() {
      alerts.evaluate(BATCH_METRICS);
    },
  });
}
