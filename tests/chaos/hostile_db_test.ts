/**
 * Hostile database contents and kernel renames against the real daemon:
 * keys of the wrong type and empty names in CONFIG_DB, non-hash keys and
 * other daemons' hashes in STATE_DB, and a port link renamed under it.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { rigTest, waitForConvergence } from "../sync/rig.ts";

rigTest(
  "hostile: bad CONFIG_DB and STATE_DB entries are skipped with one line each; the rest syncs",
  async (rig) => {
    await rig.config.hset("PORT|", { lanes: "99" });
    await rig.server.cli("-n", "4", "RPUSH", "PORT|Ethernet100", "a", "b");
    await rig.server.cli("-n", "6", "SET", "PORT_TABLE|Ethernet16", "junk");
    await rig.state.hset("PORT_TABLE|Ethernet200", {
      supported_speeds: "10000,25000",
    });
    const daemon = await rig.startReady();
    await rig.ns.ip("link", "set", "Ethernet0", "up");
    await waitForConvergence(rig);
    const skipped = daemon.lines.filter((line) => line.includes("skipped"));
    assert.deepEqual(skipped, [
      'WARN CONFIG_DB port entry skipped key=PORT| reason="empty port name"',
      'WARN CONFIG_DB port entry skipped key=PORT|Ethernet100 reason="not a hash"',
    ]);
    assert.equal(
      daemon.lines.filter((line) => line.includes("not a hash;")).length,
      1,
      daemon.lines.join("\n"),
    );
    assert.ok(
      daemon.lines.some((l) => l.includes("key=PORT_TABLE|Ethernet16")),
    );
    assert.equal(
      await rig.server.cli("-n", "6", "GET", "PORT_TABLE|Ethernet16"),
      "junk",
    );
    assert.deepEqual(await rig.stateOf("Ethernet200"), {
      supported_speeds: "10000,25000",
    }, "another daemon's hash for a port with no netdev stays");

    // A port key turned into a string while running: left alone, the others
    // keep syncing; once it is gone again the port is rewritten.
    await rig.server.cli("-n", "6", "DEL", "PORT_TABLE|Ethernet8");
    await rig.server.cli("-n", "6", "SET", "PORT_TABLE|Ethernet8", "junk");
    await daemon.waitForLog(/not a hash.*PORT_TABLE\|Ethernet8/);
    await rig.ns.ip("link", "set", "Ethernet12", "mtu", "4000");
    await waitFor(
      "Ethernet12's change",
      async () => (await rig.stateOf("Ethernet12")).mtu === "4000",
    );
    await rig.server.cli("-n", "6", "DEL", "PORT_TABLE|Ethernet8");
    await waitForConvergence(rig, { timeoutMs: 5000 });
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
  },
);

rigTest(
  "hostile: a port link renamed under the daemon loses its STATE_DB hash",
  async (rig) => {
    const daemon = await rig.startReady();
    assert.equal((await rig.stateOf("Ethernet4")).state, "ok");
    await rig.ns.ip("link", "set", "Ethernet4", "down");
    await rig.ns.ip("link", "set", "Ethernet4", "name", "Ethernet96");
    await waitFor(
      "PORT_TABLE|Ethernet4 to go",
      async () => Object.keys(await rig.stateOf("Ethernet4")).length === 0,
    );
    await waitForConvergence(rig);
    await rig.ns.ip("link", "set", "Ethernet96", "name", "Ethernet4");
    await waitFor(
      "PORT_TABLE|Ethernet4 to come back",
      async () => (await rig.stateOf("Ethernet4")).state === "ok",
    );
    assert.deepEqual(await rig.stateOf("Ethernet96"), {});
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
  },
);
