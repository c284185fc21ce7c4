/**
 * Warm restart wired to a real engine (PortSync on a memory store): warm or
 * cold from the start-up report, EOIU and its timeout on an injected clock
 * and on a real timer with no event arriving, saved port states compared on
 * a warm start, and the state file saved, carried forward and switched off.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { createLogger } from "../../src/log/mod.ts";
import type { LinkEvent, NetlinkNotice } from "../../src/netlink/types.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { PortSync } from "../../src/sync/port_sync.ts";
import { WarmRestartMetrics } from "../../src/warm_restart/metrics.ts";
import { WarmRestartObserver } from "../../src/warm_restart/observer.ts";
import {
  compareSaved,
  portsFromLinks,
} from "../../src/warm_restart/port_state.ts";
import { startWarmRestart } from "../../src/warm_restart/start.ts";
import {
  decodeState,
  type StateBody,
} from "../../src/warm_restart/state_codec.ts";
import { waitFor } from "../helpers/daemon.ts";
import { link } from "../sync/links.ts";

/** A PortSync on a memory store; `warm` seeds STATE_DB for a warm start. */
async function engine(options: { warm?: boolean } = {}) {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }),
  );
  const state = store.db("STATE_DB");
  if (options.warm) {
    await state.hset("WARM_RESTART_ENABLE_TABLE|system", { enable: "true" });
    await state.hset("WARM_RESTART_TABLE|portsyncd", { restore_count: "0" });
  }
  const lines: string[] = [];
  const log = createLogger("info", { sink: (line) => lines.push(line) });
  const dumps: number[] = [];
  const links = { requestDump: () => dumps.push(100 + dumps.length) + 99 };
  const sync = new PortSync(store, { links, log });
  /** The kernel answers the latest dump with `events`, then NLMSG_DONE. */
  async function answerDump(events: LinkEvent[]): Promise<void> {
    const seq = dumps.at(-1)!;
    const notices: NetlinkNotice[] = events.map((event) => ({
      kind: "link",
      event,
      seq,
    }));
    await sync.handle([...notices, { kind: "dump_done", seq }]);
  }
  return { store, sync, lines, log, answerDump };
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-warm-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function readBody(path: string): Promise<StateBody> {
  const decoded = decodeState(await Deno.readTextFile(path));
  assert.ok(decoded.ok, JSON.stringify(decoded));
  return decoded.body;
}

const PORTS = [
  link("Ethernet0"),
  link("Ethernet4", { admin: "down" }),
  link("Ethernet8", { mtu: 1500 }),
];

Deno.test("port state: saved from the kernel's links, compared on all four fields", () => {
  const links = new Map(PORTS.map((event) => [event.name, event]));
  const saved = portsFromLinks(links);
  assert.deepEqual(saved.map((port) => port.name), [
    "Ethernet0",
    "Ethernet4",
    "Ethernet8",
  ]);
  assert.deepEqual(saved[1], {
    name: "Ethernet4",
    admin: "down",
    oper: "down",
    mtu: 9100,
    ifindex: 104,
  });
  assert.deepEqual(compareSaved(saved, links), {
    compared: 3,
    matched: 3,
    changed: [],
  });
  const later = new Map(links);
  later.set("Ethernet0", link("Ethernet0", { oper: "down" }));
  later.set("Ethernet4", link("Ethernet4", { admin: "down", ifindex: 900 }));
  later.set("Ethernet8", link("Ethernet8", { mtu: 9100 }));
  later.set("Ethernet12", link("Ethernet12"));
  assert.deepEqual(compareSaved(saved, later), {
    compared: 3,
    matched: 0,
    changed: ["Ethernet0", "Ethernet4", "Ethernet8"],
  });
  later.delete("Ethernet8");
  later.set("Ethernet0", PORTS[0]);
  assert.deepEqual(compareSaved(saved, later), {
    compared: 3,
    matched: 1,
    changed: ["Ethernet4", "Ethernet8"],
  });
});

Deno.test("observer: a cold start and its EOIU on an injected clock", async () => {
  const { sync, lines, log, answerDump } = await engine();
  let now = 1000;
  const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 500 });
  const observer = new WarmRestartObserver(metrics, {
    links: () => sync.links,
    saved: null,
    log,
    clock: () => now,
    timer: false,
  });
  let eoius = 0;
  sync.observe(observer);
  sync.observe({ dumpCompleted: () => eoius++ });
  await sync.start();
  assert.equal(metrics.counters.cold_starts, 1);
  assert.equal(metrics.eoiuDeadline, 1500);
  now = 1499;
  observer.tick();
  assert.equal(metrics.counters.eoiu_timeouts, 0);
  now = 1240;
  await answerDump(PORTS);
  assert.equal(metrics.counters.eoiu_detected, 1);
  assert.equal(metrics.counters.initial_sync_ms_last, 240);
  assert.ok(
    lines.includes(
      "INFO start-up link dump complete (EOIU) start=cold ports=3 initial_sync_ms=240",
    ),
    lines.join("\n"),
  );
  // A later dump (after an overflow) is no EOIU.
  sync.requestResync("overflow");
  now = 9999;
  await answerDump(PORTS);
  observer.tick();
  assert.equal(eoius, 2);
  assert.equal(metrics.counters.eoiu_detected, 1);
  assert.equal(metrics.counters.eoiu_timeouts, 0);
  observer.close();
});

Deno.test("observer: the EOIU timeout on an injected clock is counted and logged once", async () => {
  const { sync, lines, log, answerDump } = await engine({ warm: true });
  let now = 0;
  const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 500 });
  const observer = new WarmRestartObserver(metrics, {
    links: () => sync.links,
    saved: null,
    log,
    clock: () => now,
    timer: false,
  });
  sync.observe(observer);
  await sync.start();
  assert.equal(metrics.counters.warm_restarts, 1);
  now = 500;
  observer.tick();
  now = 700;
  observer.tick();
  assert.equal(metrics.counters.eoiu_timeouts, 1);
  const warnings = lines.filter((line) => line.startsWith("WARN"));
  assert.deepEqual(warnings, [
    "WARN start-up link dump not complete in time (EOIU timeout); still waiting eoiu_timeout_ms=500",
  ]);
  now = 800;
  await answerDump(PORTS);
  assert.equal(metrics.counters.eoiu_detected, 1);
  assert.equal(metrics.counters.initial_sync_ms_last, 800);
  assert.ok(
    lines.includes("INFO warm start without saved port states; none compared"),
  );
});

Deno.test("observer: the EOIU timeout fires on its timer while no event arrives", async () => {
  const { sync, log } = await engine();
  const warm = await startWarmRestart(sync, {
    stateDir: "",
    saveIntervalMs: 60_000,
    eoiuTimeoutMs: 100,
    log,
  });
  try {
    await sync.start();
    assert.equal(warm.metrics.counters.eoiu_timeouts, 0);
    await waitFor(
      "the EOIU timeout",
      () => warm.metrics.counters.eoiu_timeouts === 1,
      { timeoutMs: 5000 },
    );
    assert.equal(warm.metrics.counters.eoiu_detected, 0);
  } finally {
    await warm.close();
  }
});

Deno.test("start: a cold run saves after EOIU and at close; a warm run continues its counters and compares ports", async () => {
  await withDir(async (dir) => {
    const cold = await engine();
    const first = await startWarmRestart(cold.sync, {
      stateDir: dir,
      namespace: "asic0",
      saveIntervalMs: 60_000,
      eoiuTimeoutMs: 10_000,
      log: cold.log,
    });
    assert.equal(first.file, `${dir}/ports-asic0.json`);
    await cold.sync.start();
    await cold.answerDump(PORTS);
    await waitFor(
      "the save after EOIU",
      () => Deno.stat(first.file!).then(() => true, () => false),
    );
    await first.close();
    await first.close();
    const saved = await readBody(first.file!);
    assert.equal(saved.namespace, "asic0");
    assert.deepEqual(saved.ports, portsFromLinks(cold.sync.links));
    assert.equal(saved.metrics.cold_starts, 1);
    assert.equal(saved.metrics.eoiu_detected, 1);

    // Ethernet8's MTU changed while portsyncd was down.
    const warm = await engine({ warm: true });
    const second = await startWarmRestart(warm.sync, {
      stateDir: dir,
      namespace: "asic0",
      saveIntervalMs: 60_000,
      eoiuTimeoutMs: 10_000,
      log: warm.log,
    });
    assert.equal(second.metrics.counters.state_reads, 1);
    await warm.sync.start();
    await warm.answerDump([PORTS[0], PORTS[1], link("Ethernet8")]);
    const counters = second.metrics.counters;
    assert.equal(counters.cold_starts, 1);
    assert.equal(counters.warm_restarts, 1);
    assert.equal(counters.eoiu_detected, 2);
    assert.equal(counters.recovery_checks, 3);
    assert.equal(counters.state_recoveries, 2);
    assert.equal(counters.corruptions_detected, 0);
    assert.equal(
      second.metrics.healthScore(),
      ((2 / 3) * 40 + 0.5 * 30 + 30) / 100,
    );
    assert.ok(
      warm.lines.includes(
        "INFO warm start: saved port states compared compared=3 recovered=2 changed=Ethernet8",
      ),
      warm.lines.join("\n"),
    );
    await second.close();
    const after = await readBody(second.file!);
    assert.deepEqual(after.metrics, counters);
    assert.equal(
      after.ports.find((port) => port.name === "Ethernet8")?.mtu,
      9100,
    );
  });
});

Deno.test("start: saved before EOIU, the saved ports are carried forward, not emptied", async () => {
  await withDir(async (dir) => {
    const cold = await engine();
    const first = await startWarmRestart(cold.sync, {
      stateDir: dir,
      saveIntervalMs: 60_000,
      eoiuTimeoutMs: 10_000,
      log: cold.log,
    });
    await cold.sync.start();
    await cold.answerDump(PORTS);
    await first.close();

    const next = await engine();
    const second = await startWarmRestart(next.sync, {
      stateDir: dir,
      saveIntervalMs: 60_000,
      eoiuTimeoutMs: 10_000,
      log: next.log,
    });
    await next.sync.start();
    assert.equal(await second.save(), true);
    await second.close();
    const body = await readBody(second.file!);
    assert.equal(body.ports.length, 3);
    assert.equal(body.metrics.cold_starts, 2);
    assert.equal(body.metrics.eoiu_detected, 1);
  });
});

Deno.test("start: the save interval writes the file while running", async () => {
  await withDir(async (dir) => {
    const { sync, log } = await engine();
    const warm = await startWarmRestart(sync, {
      stateDir: dir,
      saveIntervalMs: 50,
      eoiuTimeoutMs: 10_000,
      log,
    });
    try {
      await sync.start();
      // No dump is answered, so only the interval can have saved it.
      const body = await waitFor(
        "a periodic save after the start",
        async () => {
          try {
            const body = await readBody(warm.file!);
            return body.metrics.cold_starts === 1 ? body : null;
          } catch {
            return null;
          }
        },
      );
      assert.equal(body!.metrics.eoiu_detected, 0, "no dump answered");
    } finally {
      await warm.close();
    }
  });
});

Deno.test("start: no state_dir means no file, and the metrics still count", async () => {
  const { sync, lines, log, answerDump } = await engine();
  const warm = await startWarmRestart(sync, {
    stateDir: "",
    saveIntervalMs: 50,
    eoiuTimeoutMs: 10_000,
    log,
  });
  await sync.start();
  await answerDump(PORTS);
  assert.equal(warm.file, null);
  assert.equal(await warm.save(), false);
  await warm.close();
  assert.equal(warm.metrics.counters.cold_starts, 1);
  assert.equal(warm.metrics.counters.eoiu_detected, 1);
  assert.ok(
    lines.includes("INFO warm-restart state file off (state_dir is empty)"),
  );
});

Deno.test("start: a state directory that cannot be created is one line; the engine and the metrics go on", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    const { sync, lines, log, answerDump } = await engine();
    const warm = await startWarmRestart(sync, {
      stateDir: `${dir}/file/portsyncd`,
      saveIntervalMs: 60_000,
      eoiuTimeoutMs: 10_000,
      log,
    });
    await sync.start();
    await answerDump(PORTS);
    assert.equal(await warm.save(), false);
    await warm.close();
    assert.equal(warm.metrics.counters.eoiu_detected, 1);
    assert.equal(sync.links.size, 3);
    const errors = lines.filter((line) => line.startsWith("ERROR"));
    assert.equal(errors.length, 1, lines.join("\n"));
    assert.match(
      errors[0],
      /file\/portsyncd\/ports\.json error="Not a directory/,
    );
  });
});
