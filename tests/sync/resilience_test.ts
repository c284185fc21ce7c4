/**
 * The daemon under trouble: kernel overflows, Redis connections killed and
 * the server restarted mid-storm, and shutdown with a write in flight.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { PORTS, rigTest, stormLines, waitForConvergence } from "./rig.ts";

rigTest(
  "resilience: an overflow while Redis is paused is re-dumped and STATE_DB converges",
  async (rig) => {
    const daemon = await rig.startReady({
      toml: "receive_buffer_bytes = 4096\n",
    });
    const mark = daemon.lines.length;
    await rig.server.cli("CLIENT", "PAUSE", "1500", "WRITE");
    await rig.ns.ipBatch(stormLines(3000, 11));
    await daemon.waitForLog(/netlink overflow/, { from: mark });
    await daemon.waitForLog(/requesting link dump reason=overflow/, {
      from: mark,
    });
    await daemon.waitForLog(/reconciled STATE_DB/, { from: mark });
    await waitForConvergence(rig);
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
  },
);

rigTest(
  "resilience: connections killed and Redis restarted mid-storm still converge",
  async (rig) => {
    const daemon = await rig.startReady();
    const applied = rig.consumed;
    const storm = stormLines(3000, 23);
    const chunk = storm.length / 6;
    for (let part = 0; part < 6; part++) {
      await rig.ns.ipBatch(storm.slice(part * chunk, (part + 1) * chunk));
      if (part === 1) {
        await rig.server.cli("CLIENT", "KILL", "TYPE", "normal");
      }
      if (part === 3) {
        const mark = daemon.lines.length;
        await rig.server.restart();
        // The restarted server is empty: orchagent would repopulate
        // APPL_DB; do that here with what the consumer applied.
        for (const op of applied) {
          if (op.op === "set" && PORTS.includes(op.key)) {
            await rig.appl.hset(`PORT_TABLE:${op.key}`, op.fields);
          }
        }
        await daemon.waitForLog(
          /requesting link dump reason="store reconnect"/,
          {
            from: mark,
          },
        );
      }
    }
    await waitForConvergence(rig, { timeoutMs: 30_000 });
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
  },
);

rigTest(
  "resilience: SIGTERM with a write in flight flushes it and exits 0 within 2 s",
  async (rig) => {
    const daemon = await rig.startReady();
    assert.equal((await rig.stateOf("Ethernet12")).admin_status, "down");
    const mark = daemon.lines.length;
    await rig.server.cli("CLIENT", "PAUSE", "700", "WRITE");
    await rig.ns.ip("link", "set", "Ethernet12", "up");
    await daemon.waitForLog(/link batch .*writes=1/, { from: mark });
    const stopped = await daemon.stop("SIGTERM");
    assert.equal(stopped.code, 0, daemon.lines.join("\n"));
    assert.ok(stopped.ms < 2000, `shutdown took ${stopped.ms} ms`);
    await waitFor(
      "the paused write to land",
      async () => (await rig.stateOf("Ethernet12")).admin_status === "up",
      {
        timeoutMs: 1000,
      },
    );
  },
);
