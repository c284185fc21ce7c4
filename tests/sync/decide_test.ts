import assert from "node:assert/strict";
import {
  coalesce,
  configFieldsForAppl,
  ignoreReason,
  planReconcile,
  planWrites,
  stateFields,
} from "../../src/sync/decide.ts";
import { link } from "./links.ts";

Deno.test("decide: only Ethernet ports, no team, no DELLINK with a master", () => {
  assert.equal(ignoreReason(link("Ethernet0")), null);
  assert.equal(ignoreReason(link("eth0")), "not_a_port");
  assert.equal(ignoreReason(link("lo")), "not_a_port");
  assert.equal(ignoreReason(link("PortChannel0001")), "not_a_port");
  assert.equal(ignoreReason(link("Vlan1000")), "not_a_port");
  assert.equal(ignoreReason(link("Ethernet8", { kind: "team" })), "team");
  assert.equal(
    ignoreReason(link("Ethernet8", { type: "dellink", master: 7 })),
    "dellink_with_master",
  );
  assert.equal(ignoreReason(link("Ethernet8", { master: 7 })), null);
  assert.equal(ignoreReason(link("Ethernet8", { type: "dellink" })), null);
});

Deno.test("decide: state fields follow IFF_UP, IFF_RUNNING and the MTU", () => {
  assert.deepEqual(stateFields(link("Ethernet0", { mtu: 1500 })), {
    state: "ok",
    netdev_oper_status: "up",
    admin_status: "up",
    mtu: "1500",
  });
  assert.deepEqual(
    stateFields(link("Ethernet0", { admin: "up", oper: "down" })),
    {
      state: "ok",
      netdev_oper_status: "down",
      admin_status: "up",
      mtu: "9100",
    },
  );
});

Deno.test("decide: coalescing keeps the last state per port", () => {
  const changes = coalesce([
    link("Ethernet0", { admin: "down" }),
    link("Ethernet4"),
    link("Ethernet0", { admin: "up", mtu: 9000 }),
    link("eth0"),
  ]);
  assert.deepEqual([...changes.keys()], ["Ethernet0", "Ethernet4"]);
  const ethernet0 = changes.get("Ethernet0")!;
  assert.equal(ethernet0.deleted, false);
  assert.equal(ethernet0.link?.mtu, 9000);
  assert.equal(ethernet0.link?.admin, "up");
});

Deno.test("decide: a DELLINK is never lost, even when a NEWLINK follows", () => {
  const changes = coalesce([
    link("Ethernet0"),
    link("Ethernet0", { type: "dellink" }),
    link("Ethernet0", { mtu: 1500 }),
    link("Ethernet4"),
    link("Ethernet4", { type: "dellink" }),
  ]);
  assert.deepEqual(changes.get("Ethernet0"), {
    port: "Ethernet0",
    deleted: true,
    link: link("Ethernet0", { mtu: 1500 }),
  });
  assert.deepEqual(changes.get("Ethernet4"), {
    port: "Ethernet4",
    deleted: true,
    link: null,
  });
});

Deno.test("decide: a DELLINK with a master does not hide the port's deletion state", () => {
  const changes = coalesce([
    link("Ethernet0", { type: "dellink", master: 3 }),
  ]);
  assert.equal(changes.size, 0);
});

Deno.test("decide: plan writes DEL before HSET and skips ports not in APPL_DB", () => {
  const changes = coalesce([
    link("Ethernet0", { type: "dellink" }),
    link("Ethernet0", { admin: "down" }),
    link("Ethernet4"),
    link("Ethernet8", { type: "dellink" }),
  ]);
  const plan = planWrites(changes.values(), {
    inAppl: new Set(["Ethernet0", "Ethernet8"]),
    written: new Map(),
  });
  assert.deepEqual(plan.writes, [
    { kind: "del", port: "Ethernet0" },
    {
      kind: "hset",
      port: "Ethernet0",
      fields: stateFields(link("Ethernet0", { admin: "down" })),
    },
    { kind: "del", port: "Ethernet8" },
  ]);
  assert.deepEqual(plan.notInAppl, ["Ethernet4"]);
  assert.deepEqual(plan.seen, ["Ethernet0", "Ethernet8"]);
});

Deno.test("decide: an unchanged port is not rewritten, a changed one is", () => {
  const up = link("Ethernet0");
  const written = new Map([["Ethernet0", {
    ...stateFields(up),
    speed: "100000",
  }]]);
  const inAppl = new Set(["Ethernet0"]);
  const same = planWrites(coalesce([up]).values(), { inAppl, written });
  assert.deepEqual(same.writes, []);
  assert.deepEqual(same.seen, ["Ethernet0"]);
  const changed = planWrites(
    coalesce([link("Ethernet0", { mtu: 1500 })]).values(),
    { inAppl, written },
  );
  assert.equal(changed.writes.length, 1);
  assert.equal(changed.writes[0].kind, "hset");
});

Deno.test("decide: a DEL then NEWLINK rewrites even when the cache matched", () => {
  const up = link("Ethernet0");
  const plan = planWrites(
    coalesce([link("Ethernet0", { type: "dellink" }), up]).values(),
    {
      inAppl: new Set(["Ethernet0"]),
      written: new Map([["Ethernet0", stateFields(up)]]),
    },
  );
  assert.deepEqual(plan.writes.map((write) => write.kind), ["del", "hset"]);
});

Deno.test("decide: reconcile writes what differs and deletes what the kernel lacks", () => {
  const links = new Map([
    ["Ethernet0", link("Ethernet0")],
    ["Ethernet4", link("Ethernet4", { oper: "down" })],
    ["Ethernet8", link("Ethernet8")],
  ]);
  const state = new Map([
    ["Ethernet0", { ...stateFields(link("Ethernet0")), speed: "40000" }],
    ["Ethernet4", stateFields(link("Ethernet4"))],
    ["Ethernet12", stateFields(link("Ethernet12"))],
  ]);
  const writes = planReconcile({
    links,
    inAppl: new Set(["Ethernet0", "Ethernet4", "Ethernet12"]),
    state,
  });
  assert.deepEqual(writes, [
    { kind: "del", port: "Ethernet12" },
    {
      kind: "hset",
      port: "Ethernet4",
      fields: stateFields(link("Ethernet4", { oper: "down" })),
    },
  ]);
});

Deno.test("decide: CONFIG_DB field names are cut at the first @", () => {
  assert.deepEqual(
    configFieldsForAppl({ "lanes@": "0,1,2,3", speed: "100000", "a@b@c": "x" }),
    { lanes: "0,1,2,3", speed: "100000", a: "x" },
  );
});

Deno.test("decide: coalescing reports each ignored message with its reason", () => {
  const ignored: string[] = [];
  const changes = coalesce([
    link("eth0"),
    link("Ethernet0", { kind: "team" }),
    link("Ethernet4", { type: "dellink", master: 2 }),
    link("Ethernet8"),
  ], { onIgnored: (event, reason) => ignored.push(`${event.name}:${reason}`) });
  assert.deepEqual(ignored, [
    "eth0:not_a_port",
    "Ethernet0:team",
    "Ethernet4:dellink_with_master",
  ]);
  assert.deepEqual([...changes.keys()], ["Ethernet8"]);
});
