/**
 * The real daemon under a long run of link changes with every port in
 * APPL_DB: STATE_DB equals the kernel after every phase, the live heap
 * after warm-up grows < 5% and RSS stays flat. Latency is printed, not
 * asserted (a figure, not a test). `PORTSYNCD_SOAK_CHANGES` sets the size
 * (default 60,000; `deno task soak` runs 1,000,000 through
 * `tools/soak_daemon.ts`).
 * @module
 */

import assert from "node:assert/strict";
import { soakDaemon } from "../../tools/soak_daemon.ts";
import { netnsSkipReason } from "../helpers/netns.ts";
import { REDIS_AVAILABLE } from "../helpers/redis_server.ts";

const CHANGES = Number(Deno.env.get("PORTSYNCD_SOAK_CHANGES") ?? "60000");

Deno.test({
  name:
    "soak: the daemon's heap and RSS stay flat over a long run of link changes",
  ignore: netnsSkipReason() !== null || !REDIS_AVAILABLE,
  fn: async () => {
    const summary = await soakDaemon({
      changes: CHANGES,
      phases: 4,
      samples: 30,
    });
    assert.ok(
      summary.link_messages >= CHANGES,
      `the daemon heard ${summary.link_messages} messages`,
    );
    assert.ok(
      summary.rss_end_mib <= summary.rss_warm_mib * 1.05,
      `RSS grew ${summary.rss_warm_mib} -> ${summary.rss_end_mib} MiB`,
    );
    if (summary.heap_growth_percent !== null) {
      assert.ok(
        summary.heap_growth_percent < 5,
        `live heap grew ${summary.heap_growth_percent}%`,
      );
    }
  },
});
