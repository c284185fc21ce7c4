/**
 * The daemon follows APPL_DB's port entries through keyspace notifications
 * (on, as on a switch): a link change of a known port costs one round trip
 * (no EXISTS), and APPL_DB changes still decide what is written.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { rigTest } from "./rig.ts";

rigTest(
  "daemon: APPL_DB followed live, no EXISTS per link change, removals and returns honoured",
  async (rig) => {
    const daemon = await rig.startReady();
    await daemon.waitForLog(
      /APPL_DB PORT_TABLE:\* followed through keyspace events/,
    );
    // APPL_DB ports, CONFIG_DB alert rules, suppressions and log level:
    // four patterns on one subscriber connection.
    const pubsub = await waitFor("four pattern subscriptions", async () => {
      const clients = (await rig.server.cli("CLIENT", "LIST", "TYPE", "pubsub"))
        .split("\n").filter((line) => line !== "");
      const patterns = clients.reduce(
        (sum, line) => sum + Number(line.match(/ psub=(\d+)/)?.[1] ?? 0),
        0,
      );
      return patterns >= 4 ? clients : null;
    });
    assert.equal(pubsub?.length, 1);
    const existsCalls = async () =>
      Number(
        (await rig.server.cli("INFO", "commandstats"))
          .match(/cmdstat_exists:calls=(\d+)/)?.[1] ?? 0,
      );
    const mtuIs = (mtu: number) => async () =>
      (await rig.stateOf("Ethernet0")).mtu === String(mtu);

    const before = await existsCalls();
    for (let mtu = 2000; mtu < 2010; mtu++) {
      await rig.ns.ip("link", "set", "Ethernet0", "mtu", String(mtu));
      await waitFor(`mtu ${mtu} in STATE_DB`, mtuIs(mtu));
    }
    assert.equal(await existsCalls(), before, "no EXISTS for a known port");

    // orchagent removes the port: the next change is not written.
    await rig.appl.del("PORT_TABLE:Ethernet0");
    await rig.ns.ip("link", "set", "Ethernet0", "mtu", "3000");
    await daemon.waitForLog(/port not in APPL_DB yet.*Ethernet0/);
    assert.equal((await rig.stateOf("Ethernet0")).mtu, "2009");

    // It comes back: the waiting change is written with no further link change.
    await rig.appl.hset("PORT_TABLE:Ethernet0", { mtu: "9100" });
    await waitFor("mtu 3000 in STATE_DB", mtuIs(3000));
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
  },
);

rigTest(
  "daemon: notifications off, APPL_DB is asked before every write, and the daemon says so",
  async (rig) => {
    await rig.server.cli("CONFIG", "SET", "notify-keyspace-events", "");
    const daemon = await rig.startReady();
    await daemon.waitForLog(
      /APPL_DB PORT_TABLE:\* not followed: keyspace notifications are off/,
    );
    await rig.appl.del("PORT_TABLE:Ethernet4");
    await rig.ns.ip("link", "set", "Ethernet4", "mtu", "3000");
    await daemon.waitForLog(/port not in APPL_DB yet.*Ethernet4/);
    await rig.appl.hset("PORT_TABLE:Ethernet4", { mtu: "9100" });
    await waitFor(
      "mtu 3000 in STATE_DB",
      async () => (await rig.stateOf("Ethernet4")).mtu === "3000",
    );
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
  },
);
