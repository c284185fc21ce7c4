/**
 * Start-up against a Redis that accepts connections but never answers
 * (SIGSTOPped): the daemon says what it waits for, SIGTERM ends it within
 * 2 s at any stage, and a daemon stopped before its connect completed
 * leaves no start-up write behind once Redis runs again.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import type { RedisServer } from "../helpers/redis_server.ts";
import { rigTest } from "../sync/rig.ts";

/** The SIGTERM-to-exit contract. */
const STOP_WITHIN_MS = 2000;

/** Ids of the clients connected to the server now (redis-cli's own excluded). */
async function clientIds(server: RedisServer): Promise<Set<string>> {
  const list = await server.cli("CLIENT", "LIST");
  const ids = new Set<string>();
  for (const line of list.split("\n")) {
    if (line.includes("cmd=client|list")) continue;
    const id = /\bid=(\d+)/.exec(line)?.[1];
    if (id !== undefined) ids.add(id);
  }
  return ids;
}

rigTest(
  "daemon: SIGTERM while connecting to a stopped Redis exits 0 within 2 s and writes nothing",
  async (rig) => {
    const before = await clientIds(rig.server);
    rig.server.pause();
    let resumed = false;
    try {
      const daemon = await rig.start();
      await daemon.waitForLog(
        /^INFO connecting to redis APPL_DB, CONFIG_DB, STATE_DB at unix:\//,
      );
      await daemon.waitForLog(
        /^WARN still waiting after 2 s: connecting to redis APPL_DB, CONFIG_DB, STATE_DB/,
      );
      const { code, ms } = await daemon.stop("SIGTERM");
      const took = `exit ${code} ${Math.round(ms)} ms after SIGTERM`;
      assert.equal(code, 0, took);
      assert.ok(ms < STOP_WITHIN_MS, took);
      assert.ok(
        daemon.lines.some((line) =>
          /^INFO start-up abandoned while connecting to redis/.test(line)
        ),
        daemon.lines.join("\n"),
      );
      rig.server.resume();
      resumed = true;
      // Redis reads what the dead daemon's connections sent before it sees
      // them close: once they are gone, everything they sent has run.
      await waitFor("the dead daemon's connections to close", async () => {
        const now = await clientIds(rig.server);
        return [...now].every((id) => before.has(id));
      });
      assert.equal(await rig.server.cli("-n", "6", "DBSIZE"), "0", "STATE_DB");
      assert.equal(await rig.server.cli("-n", "0", "DBSIZE"), "0", "APPL_DB");
    } finally {
      if (!resumed) rig.server.resume();
    }
  },
);

rigTest(
  "daemon: SIGTERM while port sync start-up waits on a paused Redis exits within 2 s",
  async (rig) => {
    // Connections and reads go through; the first write (restore_count)
    // waits, so start-up hangs in the port sync step.
    await rig.server.cli("CLIENT", "PAUSE", "60000", "WRITE");
    try {
      const daemon = await rig.start();
      await daemon.waitForLog(/^INFO port sync start-up: warm-start check/);
      await daemon.waitForLog(
        /^WARN still waiting after 2 s: port sync start-up: .* \(unanswered redis commands: STATE_DB=1\)$/,
      );
      const { code, ms } = await daemon.stop("SIGTERM");
      const took = `exit ${code} ${Math.round(ms)} ms after SIGTERM`;
      assert.ok(ms < STOP_WITHIN_MS, took);
      // The write it had sent was never answered: not a clean exit.
      assert.equal(code, 1, took);
      assert.ok(
        daemon.lines.some((line) =>
          /^INFO start-up abandoned while port sync start-up/.test(line)
        ),
        daemon.lines.join("\n"),
      );
      assert.equal(
        daemon.lines.some((line) => /portsyncd started/.test(line)),
        false,
      );
    } finally {
      await rig.server.cli("CLIENT", "UNPAUSE");
    }
  },
);
