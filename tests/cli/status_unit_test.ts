/**
 * `portsyncd --status` without a Redis server: the natural order and the
 * stale rule at their boundaries, the deadline on a database that stops
 * answering after the connect, usage errors and configuration errors.
 * The runs against a real Redis are in `status_test.ts`.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { readStatus } from "../../src/cli/status.ts";
import { isStale, naturalCompare } from "../../src/cli/status_format.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import type { Database } from "../../src/store/types.ts";
import { sonicDbConfigJson } from "../helpers/redis_server.ts";
import { portsyncd, withDir } from "./run.ts";

Deno.test("status: a database that stops answering after the connect fails within the timeout", async () => {
  const dbConfig = parseDbConfig(sonicDbConfigJson("/run/test-redis.sock"), {
    source: "test",
  });
  const store = new MemoryStore(dbConfig);
  const db = store.db;
  // APPL_DB answers; STATE_DB's SCAN never does.
  store.db = (name: string): Database => {
    const real = db.call(store, name);
    if (name !== "STATE_DB") return real;
    return new Proxy(real, {
      get(target, prop) {
        if (prop === "scan") return () => new Promise<string[]>(() => {});
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  await assert.rejects(
    readStatus(store, { dbConfig, reportIntervalMs: 5000, timeoutMs: 50 }),
    {
      name: "StoreError",
      message:
        "cannot reach redis STATE_DB at unix:/run/test-redis.sock: no reply in 50 ms",
    },
  );
});

Deno.test("status: usage errors exit 2 and name the options", async () => {
  const cases: [string[], RegExp][] = [
    [["--json"], /'--json' needs '--status'/],
    [
      ["--status", "--monitor"],
      /'--status' cannot be used with option '--monitor'/,
    ],
    [
      ["--status", "--check-config"],
      /'--status' cannot be used with option '--check-config'/,
    ],
    [
      ["--status", "--store", "memory"],
      /'--status' reads Redis.*'--store memory'/,
    ],
  ];
  for (const [args, message] of cases) {
    const run = await portsyncd(args);
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.stderr, message);
  }
});

Deno.test("status: a configuration error is the daemon's line, exit 1", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "p.conf"),
      "[health]\nreport_interval_ms = 5\n",
    );
    const run = await portsyncd([
      "--status",
      "-c",
      join(dir, "p.conf"),
      "-d",
      join(dir, "absent.json"),
    ]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n").sort();
    assert.equal(lines.length, 2, run.stderr);
    assert.ok(
      lines[0].startsWith(`${join(dir, "absent.json")}: file not found`),
      lines[0],
    );
    assert.ok(
      lines[1].startsWith(
        `${join(dir, "p.conf")}: health.report_interval_ms: `,
      ),
      lines[1],
    );
  });
});

Deno.test("status: natural order and the stale rule at their boundaries", () => {
  assert.deepEqual(
    ["Ethernet10", "Ethernet2", "Ethernet1", "Ethernet02", "Eth", "Ethernet"]
      .sort(naturalCompare),
    ["Eth", "Ethernet", "Ethernet1", "Ethernet02", "Ethernet2", "Ethernet10"],
  );
  const updated = "2025-01-01T00:00:00.000Z";
  const at = Date.parse(updated);
  const reportIntervalMs = 5000;
  assert.equal(isStale(updated, { now: at + 15_000, reportIntervalMs }), false);
  assert.equal(isStale(updated, { now: at + 15_001, reportIntervalMs }), true);
  assert.equal(isStale(updated, { now: at - 60_000, reportIntervalMs }), false);
  assert.equal(isStale("yesterday", { now: at, reportIntervalMs }), true);
  assert.equal(isStale(null, { now: at, reportIntervalMs }), true);
});
