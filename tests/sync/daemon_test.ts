/**
 * The real daemon against real kernel links in a private namespace, a real
 * Redis, and an independent consumer playing orchagent.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { PORTS, rigTest, stormLines, waitForConvergence } from "./rig.ts";

const OWNED_DOWN = {
  state: "ok",
  netdev_oper_status: "down",
  admin_status: "down",
  mtu: "1500",
};

rigTest(
  "daemon: cold start, PortInitDone after the ports exist, link changes and filters",
  async (rig) => {
    await rig.state.hset("PORT_TABLE|Ethernet0", { speed: "100000" });
    const daemon = await rig.start();
    await daemon.waitForLog(/reconciled STATE_DB/);
    assert.deepEqual(
      await rig.state.hgetall("WARM_RESTART_TABLE|portsyncd"),
      { restore_count: "0" },
    );
    // Nothing is in APPL_DB yet, so nothing may be in STATE_DB either.
    assert.deepEqual(await rig.stateOf("Ethernet4"), {});
    const popped = await rig.consume();
    // The daemon follows APPL_DB live, so it may publish PortInitDone while
    // the consumer is still popping: then it comes last, after the ports.
    const initAt = popped.findIndex((op) => op.key === "PortInitDone");
    assert.ok(initAt < 0 || initAt === popped.length - 1, "PortInitDone last");
    const first = initAt < 0 ? popped : popped.slice(0, initAt);
    assert.deepEqual(
      first.map((op) => op.key).sort(),
      [
        ...PORTS,
        "PortConfigDone",
      ].sort(),
    );
    assert.deepEqual(first.find((op) => op.key === "Ethernet8"), {
      op: "set",
      key: "Ethernet8",
      fields: {
        lanes: "8,9",
        speed: "100000",
        alias: "etp3",
        mtu: "9100",
      },
    });
    assert.deepEqual(first.find((op) => op.key === "PortConfigDone"), {
      op: "set",
      key: "PortConfigDone",
      fields: { count: "4" },
    });
    // orchagent created the ports: the re-check writes them and then
    // PortInitDone follows.
    await waitFor("PortInitDone", async () => {
      await rig.consume();
      return rig.consumed.some((op) => op.key === "PortInitDone");
    });
    const initDone = rig.consumed.find((op) => op.key === "PortInitDone");
    assert.deepEqual(initDone, {
      op: "set",
      key: "PortInitDone",
      fields: { lanes: "0" },
    });
    for (const port of PORTS) {
      const state = await rig.stateOf(port);
      for (const [field, value] of Object.entries(OWNED_DOWN)) {
        assert.equal(state[field], value, `${port}.${field}`);
      }
    }
    assert.equal((await rig.stateOf("Ethernet0")).speed, "100000");

    await rig.ns.ip("link", "set", "Ethernet0", "up");
    await waitFor(
      "Ethernet0 admin up",
      async () => (await rig.stateOf("Ethernet0")).admin_status === "up",
    );
    assert.equal((await rig.stateOf("Ethernet0")).netdev_oper_status, "down");
    await rig.ns.ip("link", "set", "Ethernet4", "up");
    await waitFor(
      "Ethernet0 oper up",
      async () => (await rig.stateOf("Ethernet0")).netdev_oper_status === "up",
    );
    // The veth peer goes down: Ethernet0 loses its carrier.
    await rig.ns.ip("link", "set", "Ethernet4", "down");
    await waitFor(
      "Ethernet0 oper down",
      async () =>
        (await rig.stateOf("Ethernet0")).netdev_oper_status === "down",
    );
    await rig.ns.ip("link", "set", "Ethernet0", "mtu", "9000");
    await waitFor(
      "Ethernet0 mtu 9000",
      async () => (await rig.stateOf("Ethernet0")).mtu === "9000",
    );
    assert.equal((await rig.stateOf("Ethernet0")).speed, "100000");

    // Unconfigured and non-Ethernet links are never written; a change of
    // Ethernet8 afterwards proves the daemon read past them.
    await rig.ns.ipBatch([
      "link set Ethernet16 up",
      "link set eth16 up",
      "link set eth16 mtu 2000",
      "link set Ethernet8 up",
    ]);
    await waitFor(
      "Ethernet8 admin up",
      async () => (await rig.stateOf("Ethernet8")).admin_status === "up",
    );
    assert.deepEqual(await rig.stateOf("Ethernet16"), {});
    assert.deepEqual(await rig.state.hgetall("PORT_TABLE|eth16"), {});

    // A port leaving a bridge sends a DELLINK with IFLA_MASTER: ignored.
    await rig.ns.ipBatch([
      "link add br0 type bridge",
      "link set Ethernet0 master br0",
      "link set Ethernet0 nomaster",
      "link set Ethernet8 down",
    ]);
    await waitFor(
      "Ethernet8 admin down",
      async () => (await rig.stateOf("Ethernet8")).admin_status === "down",
    );
    assert.equal((await rig.stateOf("Ethernet0")).state, "ok");
    assert.equal((await rig.stateOf("Ethernet0")).speed, "100000");

    // A real DELLINK deletes the whole hash (both ends of the veth go).
    await rig.ns.ip("link", "del", "Ethernet8");
    await waitFor(
      "Ethernet8 and Ethernet12 deleted",
      async () =>
        Object.keys(await rig.stateOf("Ethernet8")).length === 0 &&
        Object.keys(await rig.stateOf("Ethernet12")).length === 0,
    );

    const stopped = await daemon.stop("SIGTERM");
    assert.equal(stopped.code, 0, daemon.lines.join("\n"));
    assert.ok(stopped.ms < 2000, `shutdown took ${stopped.ms} ms`);
    await rig.consume();
    const inits = rig.consumed.filter((op) => op.key === "PortInitDone");
    assert.equal(inits.length, 1, "PortInitDone exactly once");
  },
);

rigTest(
  "daemon: a storm of thousands of link changes ends with STATE_DB equal to the kernel",
  async (rig) => {
    const daemon = await rig.startReady();
    await rig.state.hset("PORT_TABLE|Ethernet4", { speed: "40000" });
    await rig.ns.ipBatch(stormLines(4000, 7));
    const kernel = await waitForConvergence(rig);
    assert.equal(kernel.size, 5);
    assert.equal((await rig.stateOf("Ethernet4")).speed, "40000");
    assert.deepEqual(await rig.stateOf("Ethernet16"), {});
    const stopped = await daemon.stop("SIGTERM");
    assert.equal(stopped.code, 0);
  },
);

rigTest(
  "daemon: warm start bumps restore_count, publishes nothing, follows links",
  async (rig) => {
    const cold = await rig.startReady();
    assert.equal((await cold.stop("SIGTERM")).code, 0);
    await rig.consume();

    await rig.state.hset("WARM_RESTART_ENABLE_TABLE|system", {
      enable: "true",
    });
    const warm = await rig.start();
    await warm.waitForLog(/warm start/);
    await warm.waitForLog(/reconciled STATE_DB/);
    assert.deepEqual(
      await rig.state.hgetall("WARM_RESTART_TABLE|portsyncd"),
      { restore_count: "1" },
    );
    await rig.ns.ipBatch(["link set Ethernet12 up", "link set Ethernet8 up"]);
    await waitFor(
      "Ethernet12 oper up",
      async () => (await rig.stateOf("Ethernet12")).netdev_oper_status === "up",
    );
    assert.equal(
      await rig.server.cli("-n", "0", "SCARD", "PORT_TABLE_KEY_SET"),
      "0",
    );
    assert.deepEqual(
      await rig.consume(),
      [],
      "nothing published on warm start",
    );
    assert.equal((await warm.stop("SIGTERM")).code, 0);
  },
);
