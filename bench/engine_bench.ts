/**
 * The whole engine path per event as the daemon runs it, on the memory
 * store: `decodeNotices` of captured kernel messages → `PortSync.handle`
 * (decisions, APPL_DB presence, STATE_DB writes) → the observers the daemon
 * registers (EngineMetrics and PortMetrics from `startMetrics`, and the
 * alerting observer: `evaluate(EVENT_METRICS)` after every batch, then
 * `nextDeadline()` to re-arm its timer) → the alert timer on the wall clock
 * (`tick()` and a full `evaluate()` every second, as `TickTimer` does).
 * With 0, 50 and 1,000 rules of the mix in `rule_mix.ts`, one message per
 * batch (the worst case per event: every fixture in turn, so ports go up
 * and down) and 64-message datagrams (Ethernet0/4 down and up in turn).
 *
 * ```sh
 * deno bench -A bench/engine_bench.ts
 * ```
 *
 * Events/s = messages per iteration / time per iteration. Transition
 * listeners (APPL_DB publisher, Alertmanager, the log) are not attached.
 * @module
 */

import { AlertEngine } from "../src/alerting/engine.ts";
import { EVENT_METRICS } from "../src/alerting/service.ts";
import { createLogger } from "../src/log/mod.ts";
import { decodeNotices } from "../src/netlink/mod.ts";
import { LINK_FIXTURES } from "../tests/netlink/fixtures.ts";
import { benchEngine, datagram, mixRules } from "./rule_mix.ts";

const log = createLogger("error");

// Fixture messages: 8 Ethernet4 up, 9-11 Ethernet0 up; 12 Ethernet0 down,
// 13 Ethernet4 down (oper), 1-4 the dump (all down).
const SINGLES = LINK_FIXTURES.map((_, i) => datagram([i], 1));
const FLAP = [datagram([8, 9, 10, 11], 64), datagram([12, 13, 1, 2, 3, 4], 64)];

/** A port sync engine with the daemon's observers and `rules` rules. */
async function daemonEngine(rules: number) {
  const { sync, metrics } = await benchEngine(log);
  const alerts = new AlertEngine({ reader: metrics.registry, log });
  alerts.setRules(mixRules(rules));
  let timerAt = 0;
  sync.observe({
    batchHandled() {
      alerts.evaluate(EVENT_METRICS);
      timerAt = Math.min(timerAt, alerts.nextDeadline() ?? Infinity);
    },
  });
  return {
    /** One drained datagram as the daemon handles it, then its timer if due. */
    async handle(bytes: Uint8Array): Promise<void> {
      await sync.handle(decodeNotices(bytes));
      const now = Date.now();
      if (now < timerAt) return;
      timerAt = now + 1000;
      alerts.tick();
      alerts.evaluate();
    },
  };
}

for (const rules of [0, 50, 1000]) {
  const engine = await daemonEngine(rules);
  let next = 0;
  Deno.bench({
    name: `1 message per batch, ${rules} rules`,
    group: "1 message per batch",
    baseline: rules === 0,
    async fn() {
      await engine.handle(SINGLES[next++ % SINGLES.length]);
    },
  });
}

for (const rules of [0, 50, 1000]) {
  const engine = await daemonEngine(rules);
  let round = 0;
  Deno.bench({
    name: `64 messages (Ethernet0/4 flap), ${rules} rules`,
    group: "64 messages per batch",
    baseline: rules === 0,
    async fn() {
      await engine.handle(FLAP[round++ & 1]);
    },
  });
}
