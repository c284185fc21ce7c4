/**
 * The observer seam: what the engine and the loop report, in order, and an
 * observer that throws does not stop the others or the engine.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { createLogger } from "../../src/log/mod.ts";
import type { NetlinkNotice } from "../../src/netlink/types.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { SyncLoop } from "../../src/sync/loop.ts";
import type { SyncObserver } from "../../src/sync/observer.ts";
import { PortSync } from "../../src/sync/port_sync.ts";
import { link } from "./links.ts";

function engine() {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }),
  );
  const logs: string[] = [];
  const log = createLogger("info", { sink: (line) => logs.push(line) });
  const dumps: number[] = [];
  const links = { requestDump: () => dumps.push(7 + dumps.length) + 6 };
  const sync = new PortSync(store, { links, log });
  return { store, sync, logs, dumps };
}

/** Records every report as `method args…`. */
function recorder(): { seen: string[]; observer: SyncObserver } {
  const seen: string[] = [];
  const note = (name: string) => (...args: unknown[]) =>
    seen.push(`${name} ${JSON.stringify(args)}`);
  return {
    seen,
    observer: {
      portChanged: (port, link) =>
        seen.push(`portChanged ${port} ${link === null ? "gone" : link.oper}`),
      overflow: note("overflow"),
      dumpRequested: note("dumpRequested"),
      dumpCompleted: note("dumpCompleted"),
      reconciled: note("reconciled"),
      started: note("started"),
      initDone: note("initDone"),
      stateRepaired: note("stateRepaired"),
      batchHandled: (info) =>
        seen.push(
          `batchHandled ${info.messages} ${info.writes} ${
            info.ackedAt >= info.receivedAt
          }`,
        ),
    },
  };
}

Deno.test("observers: the engine reports start-up, batches, port changes, dumps and repairs in order", async () => {
  const { store, sync, dumps } = engine();
  await store.db("CONFIG_DB").hset("PORT|Ethernet0", { lanes: "0" });
  await store.db("APPL_DB").hset("PORT_TABLE:Ethernet0", { lanes: "0" });
  const { seen, observer } = recorder();
  sync.observe(observer);
  await sync.start();
  const receivedAt = performance.now();
  const batch: NetlinkNotice[] = [
    { kind: "link", event: link("Ethernet0", { oper: "down" }), seq: 0 },
    { kind: "link", event: link("Ethernet0"), seq: 0 },
  ];
  await sync.handle(batch, { receivedAt });
  await sync.handle([
    { kind: "link", event: link("Ethernet0"), seq: dumps[0] },
    { kind: "dump_done", seq: dumps[0] },
  ]);
  await store.db("STATE_DB").del("PORT_TABLE|Ethernet0");
  await sync.verify();
  await sync.handle([{ kind: "overflow" }]);
  assert.deepEqual(seen, [
    'dumpRequested ["start-up"]',
    'started [{"warm":false,"configured":1}]',
    "portChanged Ethernet0 up",
    "initDone []",
    "batchHandled 2 1 true",
    // The dump's reply says what the engine knew: no portChanged for it.
    "dumpCompleted [1]",
    'reconciled [{"kind":"dump","ports":1,"writes":0}]',
    "batchHandled 1 0 true",
    "stateRepaired [1]",
    "overflow []",
    'dumpRequested ["overflow"]',
    "batchHandled 0 0 true",
  ]);
});

Deno.test("observers: one that throws is logged; the others and the engine go on", async () => {
  const { store, sync, logs } = engine();
  await store.db("APPL_DB").hset("PORT_TABLE:Ethernet0", { lanes: "0" });
  const { seen, observer } = recorder();
  sync.observe({
    portChanged() {
      throw new Error("broken observer");
    },
  });
  const remove = sync.observe(observer);
  await sync.handle([{ kind: "link", event: link("Ethernet0"), seq: 0 }]);
  assert.deepEqual(seen, ["portChanged Ethernet0 up", "batchHandled 1 1 true"]);
  assert.deepEqual(logs, [
    'ERROR observer failed method=portChanged error="broken observer"',
  ]);
  assert.equal(
    (await store.db("STATE_DB").hgetall("PORT_TABLE|Ethernet0")).state,
    "ok",
  );
  remove();
  await sync.handle([{ kind: "link", event: link("Ethernet4"), seq: 0 }]);
  assert.equal(seen.length, 2, "a removed observer hears nothing");
});

Deno.test("observers: the loop counts and reports store reconnects", () => {
  const { store, sync } = engine();
  let reconnect: ((database: string) => void) | null = null;
  const source = { requestDump: () => 1, receive: () => Promise.resolve([]) };
  const loop = new SyncLoop(sync, {
    links: source,
    log: createLogger("error"),
  });
  const followed = {
    ...store,
    kind: store.kind,
    db: (name: string) => store.db(name),
    close: () => store.close(),
    onReconnect(listener: (database: string) => void) {
      reconnect = listener;
      return () => reconnect = null;
    },
  };
  const reports: string[] = [];
  sync.observe({ storeReconnected: (db) => reports.push(db) });
  const stop = loop.followStore(followed);
  reconnect!("STATE_DB");
  assert.deepEqual(reports, ["STATE_DB"]);
  assert.equal(sync.counters.reconnects, 1);
  stop();
  assert.equal(reconnect, null);
});
