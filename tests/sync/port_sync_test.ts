/**
 * The engine over a MemoryStore with scripted link notices (a recorded
 * trace instead of a socket), and an independent consumer playing orchagent.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { createLogger } from "../../src/log/mod.ts";
import type { LinkEvent, NetlinkNotice } from "../../src/netlink/types.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { PortSync } from "../../src/sync/port_sync.ts";
import { TestConsumer } from "../helpers/consumer.ts";
import { link } from "./links.ts";

class FakeLinks {
  dumps: number[] = [];
  #seq = 100;
  requestDump(): number {
    this.#seq++;
    this.dumps.push(this.#seq);
    return this.#seq;
  }
}

interface Rig {
  store: MemoryStore;
  links: FakeLinks;
  sync: PortSync;
  consumer: TestConsumer;
  logs: string[];
}

function rig(): Rig {
  const config = parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" });
  const store = new MemoryStore(config);
  const links = new FakeLinks();
  const logs: string[] = [];
  const log = createLogger("debug", { sink: (line) => logs.push(line) });
  const sync = new PortSync(store, { links, log });
  const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
  return { store, links, sync, consumer, logs };
}

async function configure(store: MemoryStore, ports: string[]): Promise<void> {
  const config = store.db("CONFIG_DB");
  for (const [index, port] of ports.entries()) {
    await config.hset(`PORT|${port}`, {
      "lanes@": String(index * 4),
      speed: "100000",
      alias: `etp${index}`,
    });
  }
}

function messages(events: LinkEvent[], seq = 0): NetlinkNotice[] {
  return events.map((event) => ({ kind: "link", event, seq }));
}

function dump(events: LinkEvent[], seq: number): NetlinkNotice[] {
  return [...messages(events, seq), { kind: "dump_done", seq }];
}

function stateOf(store: MemoryStore, port: string): unknown {
  return store.dump("STATE_DB")[`PORT_TABLE|${port}`];
}

Deno.test("port sync: cold start publishes the config, PortConfigDone and restore_count 0", async () => {
  const { store, links, sync, consumer } = rig();
  await configure(store, ["Ethernet4", "Ethernet0"]);
  const info = await sync.start();
  assert.equal(info.warm, false);
  assert.equal(info.configured, 2);
  assert.equal(links.dumps.length, 1);
  assert.deepEqual(store.dump("STATE_DB")["WARM_RESTART_TABLE|portsyncd"], {
    restore_count: "0",
  });
  const ops = await consumer.popAll();
  const byKey = new Map(ops.map((op) => [op.key, op]));
  assert.equal(ops.length, 3);
  assert.deepEqual(byKey.get("Ethernet0"), {
    op: "set",
    key: "Ethernet0",
    fields: { lanes: "4", speed: "100000", alias: "etp1" },
  });
  assert.deepEqual(byKey.get("PortConfigDone"), {
    op: "set",
    key: "PortConfigDone",
    fields: { count: "2" },
  });
  assert.equal(sync.initDone, false);
});

Deno.test("port sync: PortInitDone waits for every port in the kernel and in APPL_DB", async () => {
  const { store, links, sync, consumer } = rig();
  await configure(store, ["Ethernet0", "Ethernet4"]);
  await sync.start();
  const seq = links.dumps[0];
  await sync.handle(dump([link("Ethernet0"), link("Ethernet4")], seq));
  assert.equal(stateOf(store, "Ethernet0"), undefined, "not in APPL_DB yet");
  assert.equal(sync.awaitingAppl, 2);
  assert.equal(sync.initDone, false);
  await consumer.popAll();
  await sync.recheckAppl();
  assert.deepEqual(stateOf(store, "Ethernet0"), {
    state: "ok",
    netdev_oper_status: "up",
    admin_status: "up",
    mtu: "9100",
  });
  assert.equal(sync.initDone, true);
  const initOps = await consumer.popAll();
  assert.deepEqual(initOps, [
    { op: "set", key: "PortInitDone", fields: { lanes: "0" } },
  ]);
  await sync.handle(messages([link("Ethernet0")]));
  assert.deepEqual(await consumer.popAll(), [], "PortInitDone only once");
});

Deno.test("port sync: no configured ports means PortInitDone right after PortConfigDone", async () => {
  const { sync, consumer } = rig();
  await sync.start();
  assert.equal(sync.initDone, true);
  const keys = (await consumer.popAll()).map((op) => op.key);
  assert.deepEqual(keys, ["PortConfigDone", "PortInitDone"]);
});

Deno.test("port sync: warm start bumps restore_count and publishes nothing", async () => {
  const { store, sync, consumer } = rig();
  await configure(store, ["Ethernet0"]);
  const state = store.db("STATE_DB");
  await state.hset("WARM_RESTART_ENABLE_TABLE|swss", { enable: "true" });
  await state.hset("WARM_RESTART_TABLE|portsyncd", { restore_count: "3" });
  await store.db("APPL_DB").hset("PORT_TABLE:Ethernet0", { lanes: "0" });
  const info = await sync.start();
  assert.equal(info.warm, true);
  assert.equal(info.restoreCount, 4);
  assert.deepEqual(await consumer.popAll(), []);
  assert.equal(store.dump("APPL_DB")["PORT_TABLE_KEY_SET"], undefined);
  await sync.handle(messages([link("Ethernet0", { oper: "down" })]));
  assert.deepEqual(stateOf(store, "Ethernet0"), {
    state: "ok",
    netdev_oper_status: "down",
    admin_status: "up",
    mtu: "9100",
  });
});

Deno.test("port sync: warm enabled without a previous restore_count falls back to cold", async () => {
  const { store, sync, consumer } = rig();
  await store.db("STATE_DB").hset("WARM_RESTART_ENABLE_TABLE|system", {
    enable: "true",
  });
  const info = await sync.start();
  assert.equal(info.warm, false);
  assert.equal(info.restoreCount, 0);
  assert.ok(
    (await consumer.popAll()).some((op) => op.key === "PortConfigDone"),
  );
});

Deno.test("port sync: HSET keeps other daemons' fields; DELLINK deletes; DELLINK with master does not", async () => {
  const { store, sync } = rig();
  const appl = store.db("APPL_DB");
  const state = store.db("STATE_DB");
  await appl.hset("PORT_TABLE:Ethernet0", { lanes: "0" });
  await appl.hset("PORT_TABLE:Ethernet4", { lanes: "4" });
  await state.hset("PORT_TABLE|Ethernet0", { speed: "100000" });
  await sync.handle(
    messages([link("Ethernet0", { mtu: 1500 }), link("Ethernet4")]),
  );
  assert.deepEqual(stateOf(store, "Ethernet0"), {
    speed: "100000",
    state: "ok",
    netdev_oper_status: "up",
    admin_status: "up",
    mtu: "1500",
  });
  await sync.handle(
    messages([link("Ethernet0", { type: "dellink", master: 9 })]),
  );
  assert.notEqual(stateOf(store, "Ethernet0"), undefined);
  await sync.handle(messages([link("Ethernet4", { type: "dellink" })]));
  assert.equal(stateOf(store, "Ethernet4"), undefined);
});

Deno.test("port sync: unconfigured, non-Ethernet and team links are never written", async () => {
  const { store, sync } = rig();
  await store.db("APPL_DB").hset("PORT_TABLE:Ethernet0", { lanes: "0" });
  await sync.handle(messages([
    link("Ethernet8"),
    link("eth0"),
    link("Ethernet0", { kind: "team" }),
    link("PortChannel1"),
  ]));
  assert.deepEqual(store.dump("STATE_DB"), {});
  assert.equal(sync.counters.ignoredMessages, 3);
  assert.equal(sync.counters.notInAppl, 1);
});

Deno.test("port sync: an overflow re-dumps and the reconcile converges STATE_DB", async () => {
  const { store, links: kernel, sync } = rig();
  const appl = store.db("APPL_DB");
  for (const port of ["Ethernet0", "Ethernet4", "Ethernet8"]) {
    await appl.hset(`PORT_TABLE:${port}`, { lanes: "0" });
  }
  await sync.handle(
    messages([link("Ethernet0"), link("Ethernet4"), link("Ethernet8")]),
  );
  // Lost while overflowing: Ethernet4 went down, Ethernet8 was deleted.
  await sync.handle([{ kind: "overflow" }]);
  assert.equal(kernel.dumps.length, 1);
  assert.equal(sync.counters.overflows, 1);
  await sync.handle(
    dump(
      [link("Ethernet0"), link("Ethernet4", { admin: "down" })],
      kernel.dumps[0],
    ),
  );
  assert.equal(stateOf(store, "Ethernet8"), undefined);
  assert.deepEqual(stateOf(store, "Ethernet4"), {
    state: "ok",
    netdev_oper_status: "down",
    admin_status: "down",
    mtu: "9100",
  });
  assert.equal(sync.counters.reconciles, 1);
  assert.equal(sync.dumping, false);
});

Deno.test("port sync: an overflow during a dump asks for another dump after it", async () => {
  const { store, links: kernel, sync } = rig();
  await store.db("APPL_DB").hset("PORT_TABLE:Ethernet0", { lanes: "0" });
  await sync.start();
  await sync.handle([{ kind: "overflow" }]);
  assert.equal(kernel.dumps.length, 1, "one dump at a time");
  await sync.handle(dump([link("Ethernet0")], kernel.dumps[0]));
  assert.equal(kernel.dumps.length, 2);
  assert.equal(sync.dumping, true);
});

Deno.test("port sync: a failed dump request is retried", async () => {
  const { links: kernel, sync } = rig();
  sync.requestResync("test");
  await sync.handle([{
    kind: "error",
    seq: kernel.dumps[0],
    errno: 16,
    name: "EBUSY",
  }]);
  assert.equal(kernel.dumps.length, 2);
  assert.equal(sync.counters.netlinkErrors, 1);
});

Deno.test("port sync: a reconcile rewrites a hash someone deleted behind our back", async () => {
  const { store, links: kernel, sync } = rig();
  await store.db("APPL_DB").hset("PORT_TABLE:Ethernet0", { lanes: "0" });
  await sync.handle(messages([link("Ethernet0")]));
  await store.db("STATE_DB").del("PORT_TABLE|Ethernet0");
  sync.requestResync("reconnect");
  await sync.handle(dump([link("Ethernet0")], kernel.dumps[0]));
  assert.notEqual(stateOf(store, "Ethernet0"), undefined);
});

Deno.test("port sync: a stale message still queued after an overflow does not resurrect a deleted port", async () => {
  const { store, links: kernel, sync } = rig();
  for (const port of ["Ethernet0", "Ethernet8"]) {
    await store.db("APPL_DB").hset(`PORT_TABLE:${port}`, { lanes: "0" });
  }
  await sync.handle(messages([link("Ethernet0"), link("Ethernet8")]));
  // ENOBUFS is reported before the messages queued ahead of the drop: an
  // old NEWLINK of Ethernet8 follows it, its DELLINK was the one dropped.
  await sync.handle([{ kind: "overflow" }]);
  await sync.handle(messages([link("Ethernet8", { mtu: 1500 })]));
  await sync.handle(dump([link("Ethernet0")], kernel.dumps[0]));
  assert.equal(stateOf(store, "Ethernet8"), undefined);
  assert.notEqual(stateOf(store, "Ethernet0"), undefined);
});
