/**
 * Load script: events/s through the whole engine on the memory store, in a
 * plain loop (no `deno bench` harness, which keeps every iteration's sample
 * and whose GC of them weighs on microsecond iterations). Each message:
 * `decodeNotices` of a captured kernel message → `PortSync.handle` → the
 * metrics observers → the alert engine, with the rule mix of
 * `bench/rule_mix.ts`:
 *
 * - `--path bench`: `evaluate(BATCH_METRICS)` after each batch, `tick()`
 *   every 250 ms and the windowed metrics every second (what
 *   `bench/alerting_bench.ts` measures);
 * - `--path daemon`: what the daemon's alerting observer does,
 *   `evaluate(EVENT_METRICS)` and `nextDeadline()` after each batch, then
 *   `tick()` and a full `evaluate()` every second (`bench/engine_bench.ts`).
 *
 * One message per batch, every captured fixture in turn (ports go down and
 * up: the worst case per event). Prints one Markdown row per rule count:
 * wall µs per message, CPU µs per message (user + system, all threads),
 * events/s and transitions per message.
 *
 * ```sh
 * deno run -A tools/engine_throughput.ts --rules 0,50,1000 --seconds 3 --path bench
 * ```
 * @module
 */

import process from "node:process";
import { AlertEngine } from "../src/alerting/engine.ts";
import { EVENT_METRICS } from "../src/alerting/service.ts";
import { parseDbConfig } from "../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../src/config/settings.ts";
import { createLogger } from "../src/log/mod.ts";
import { startMetrics } from "../src/metrics/mod.ts";
import { concatMessages, decodeNotices } from "../src/netlink/mod.ts";
import { MemoryStore } from "../src/store/memory_store.ts";
import { PortSync } from "../src/sync/port_sync.ts";
import { LINK_FIXTURES } from "../tests/netlink/fixtures.ts";
import {
  BATCH_METRICS,
  mixRules,
  WINDOWED_METRICS,
} from "../bench/rule_mix.ts";

function option(name: string, fallback: string): string {
  const index = Deno.args.indexOf(`--${name}`);
  return index >= 0 && index + 1 < Deno.args.length
    ? Deno.args[index + 1]
    : fallback;
}

const counts = option("rules", "0,50,1000").split(",").map(Number);
const seconds = Number(option("seconds", "3"));
const path = option("path", "bench");
if (
  counts.some((count) => !Number.isInteger(count) || count < 0) ||
  !(seconds > 0) || (path !== "bench" && path !== "daemon")
) {
  console.error(
    "engine_throughput: --rules N,N,… (integers >= 0), --seconds S (> 0), --path bench|daemon",
  );
  Deno.exit(2);
}

const log = createLogger("error");
const SINGLES = LINK_FIXTURES.map((fixture) => concatMessages([fixture.bytes]));

/** Runs the loop for `rules` rules; returns its figures. */
async function measure(rules: number) {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "engine_throughput" }),
  );
  await store.db("APPL_DB").batch(
    ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"].map((port) => ({
      op: "hset",
      key: `PORT_TABLE:${port}`,
      fields: { lanes: "0", speed: "100000" },
    })),
  );
  const sync = new PortSync(store, { links: { requestDump: () => 1 }, log });
  const metrics = startMetrics(sync, { listen: "", log });
  const alerts = new AlertEngine({ reader: metrics.registry, log });
  alerts.setRules(mixRules(rules));
  let transitions = 0;
  alerts.onTransition(() => transitions++);
  let timerAt = 0;
  let tickAt = 0;
  if (path === "daemon") {
    sync.observe({
      batchHandled() {
        alerts.evaluate(EVENT_METRICS);
        timerAt = Math.min(timerAt, alerts.nextDeadline() ?? Infinity);
      },
    });
  }
  let messages = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      await sync.handle(decodeNotices(SINGLES[messages++ % SINGLES.length]));
      if (path === "bench") alerts.evaluate(BATCH_METRICS);
      const now = path === "bench" ? performance.now() : Date.now();
      if (path === "bench" && now >= tickAt) {
        tickAt = now + 250;
        alerts.tick();
      }
      if (now < timerAt) continue;
      timerAt = now + 1000;
      if (path === "bench") {
        alerts.evaluate(WINDOWED_METRICS);
      } else {
        alerts.tick();
        alerts.evaluate();
      }
    }
  }
  const wall = (performance.now() - start) * 1000 / messages;
  const used = process.cpuUsage(cpu);
  await metrics.close();
  return {
    wall,
    cpu: (used.user + used.system) / messages,
    perTransition: transitions / messages,
  };
}

console.log(
  `| rules | µs/message (wall) | µs/message (CPU) | events/s | transitions/message |`,
);
console.log(`| ---: | ---: | ---: | ---: | ---: |`);
for (const rules of counts) {
  const { wall, cpu, perTransition } = await measure(rules);
  console.log(
    `| ${rules} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${
      Math.round(1e3 / wall)
    }k | ${perTransition.toFixed(1)} |`,
  );
}
