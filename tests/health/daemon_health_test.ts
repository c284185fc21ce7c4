/**
 * The real daemon's health report in STATE_DB and the warm-restart figures
 * in its scrape: present, refreshed every report interval, healthy on a
 * quiet switch, and unhealthy while Redis refuses writes.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { freePort } from "../metrics/free_port.ts";
import { type Rig, rigTest } from "../sync/rig.ts";

const KEY = "PORTSYNCD_HEALTH_TABLE|portsyncd";

function toml(listen: string): string {
  return `\n[health]\nreport_interval_ms = 200\n[metrics]\nlisten = "${listen}"\n` +
    "[store]\nreconnect_initial_ms = 50\nreconnect_max_ms = 400\n";
}

function health(rig: Rig): Promise<Record<string, string>> {
  return rig.state.hgetall(KEY);
}

rigTest(
  "health: the daemon reports to STATE_DB every interval, and its scrape carries the health score and warm-restart counters",
  async (rig) => {
    const listen = `127.0.0.1:${freePort()}`;
    const daemon = await rig.startReady({ toml: toml(listen) });
    await rig.ns.ip("link", "set", "Ethernet0", "up");
    const first: Record<string, string> = await waitFor(
      "a health report",
      async () => {
        const row = await health(rig);
        return row.status === undefined ? undefined : row;
      },
    ) as Record<string, string>;
    assert.equal(first.status, "healthy", JSON.stringify(first));
    assert.equal(first.health_score, "1");
    for (
      const field of [
        "reasons",
        "latency_p50_us",
        "latency_p95_us",
        "latency_p99_us",
        "events_per_second",
        "queue_depth",
        "memory_rss_bytes",
      ]
    ) {
      assert.ok(field in first, `${field} in ${JSON.stringify(first)}`);
    }
    await waitFor(
      "a later report",
      async () => (await health(rig)).updated > first.updated,
    );
    const text = await (await fetch(`http://${listen}/metrics`)).text();
    assert.match(text, /^portsyncd_health_score 1$/m);
    assert.match(text, /^portsyncd_cold_starts_total 1$/m);
    assert.match(text, /^portsyncd_warm_restarts_total 0$/m);

    const mark = daemon.lines.length;
    await rig.server.cli("CONFIG", "SET", "maxmemory", "1");
    await rig.ns.ip("link", "set", "Ethernet0", "down");
    await daemon.waitForLog(/health: unhealthy.*store writes failing/, {
      from: mark,
    });
    await rig.server.cli("CONFIG", "SET", "maxmemory", "0");
    await daemon.waitForLog(/health: healthy again/, { from: mark });
    assert.equal((await health(rig)).status, "healthy");
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
  },
);
