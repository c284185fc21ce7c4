/**
 * `portsyncd --status [--json]` against a real redis-server seeded with
 * CONFIG_DB, STATE_DB and APPL_DB contents, run as an operator runs it (a
 * child `deno run main.ts`): the exact text of a small fixture, the JSON
 * shape, natural port order, a stale and an absent health report, no
 * alerts, hostile values, no lock and no netlink, and a Redis it cannot
 * reach (one line, exit 1). The parts that need no Redis are in
 * `status_unit_test.ts`.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { REDIS_AVAILABLE, withRedis } from "../helpers/redis_server.ts";
import { portsyncd, type Run, withDir } from "./run.ts";
import {
  database,
  FRESH,
  HEALTH,
  seedFixture,
  status,
} from "./status_fixture.ts";

Deno.test({
  name: "status: the text of a small fixture, line for line",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis((server) =>
      withDir(async (dir) => {
        const updated = new Date().toISOString();
        await seedFixture(server, updated);
        const run = await status(server, { dir, toml: FRESH });
        assert.equal(run.stderr, "");
        assert.equal(run.code, 0);
        const since = "2025-06-01T11:59:00.000Z";
        assert.deepEqual(run.stdout.split("\n"), [
          "Health",
          "Status   Score  p50 (us)  p95 (us)  p99 (us)  Events/s  Queue  RSS (MiB)  Updated",
          "-------  -----  --------  --------  --------  --------  -----  ---------  ------------------------",
          `healthy      1       120       250       900       3.5      0       50.0  ${updated}`,
          "",
          "Ports",
          "Port        Admin  Oper     MTU  Flaps",
          "----------  -----  ------  ----  -----",
          "Ethernet0   up     up      9100      0",
          "Ethernet2   up     down    9100      3",
          "Ethernet10  -      absent     -      -",
          "",
          "Alerts",
          "Alert                     State       Severity  Value  Since                     Message",
          "------------------------  ----------  --------  -----  ------------------------  -----------------------",
          `any_port_down|Ethernet2   firing      warning       1  ${since}  Port Ethernet2 is down`,
          `any_port_down|Ethernet10  firing      warning       1  ${since}  Port Ethernet10 is down`,
          `too_many_ports_down       suppressed  critical      2  ${since}  2 ports down`,
          "",
        ]);
      })
    ),
});

Deno.test({
  name: "status: --json prints one object with health, ports and alerts",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis((server) =>
      withDir(async (dir) => {
        const updated = new Date().toISOString();
        await seedFixture(server, updated);
        const run = await status(server, {
          dir,
          toml: FRESH,
          args: ["--json"],
        });
        assert.equal(run.stderr, "");
        assert.equal(run.code, 0);
        const since = "2025-06-01T11:59:00.000Z";
        const port = (
          name: string,
          fields: { oper: string | null; flaps: number | null },
        ) => ({
          port: name,
          configured: true,
          present: fields.oper !== null,
          admin_status: fields.oper === null ? null : "up",
          oper_status: fields.oper,
          mtu: fields.oper === null ? null : 9100,
          state: fields.oper === null ? null : "ok",
          flaps: fields.flaps,
        });
        assert.deepEqual(JSON.parse(run.stdout), {
          health: {
            status: "healthy",
            reasons: [],
            health_score: 1,
            latency_p50_us: 120,
            latency_p95_us: 250,
            latency_p99_us: 900,
            latency_max_us: 1000,
            events_per_second: 3.5,
            queue_depth: 0,
            memory_rss_bytes: 52428800,
            memory_heap_bytes: 10485760,
            updated,
            stale: false,
          },
          ports: [
            port("Ethernet0", { oper: "up", flaps: 0 }),
            port("Ethernet2", { oper: "down", flaps: 3 }),
            port("Ethernet10", { oper: null, flaps: null }),
          ],
          alerts: [
            {
              alert: "any_port_down|Ethernet2",
              rule: "any_port_down",
              port: "Ethernet2",
              state: "firing",
              severity: "warning",
              value: "1",
              since,
              message: "Port Ethernet2 is down",
            },
            {
              alert: "any_port_down|Ethernet10",
              rule: "any_port_down",
              port: "Ethernet10",
              state: "firing",
              severity: "warning",
              value: "1",
              since,
              message: "Port Ethernet10 is down",
            },
            {
              alert: "too_many_ports_down",
              rule: "too_many_ports_down",
              port: null,
              state: "suppressed",
              severity: "critical",
              value: "2",
              since,
              message: "2 ports down",
            },
          ],
        });
      })
    ),
});

Deno.test({
  name:
    "status: ports in natural order, configured or only in STATE_DB, across both tables",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis((server) =>
      withDir(async (dir) => {
        const configured = [
          "Ethernet100",
          "Ethernet2",
          "Ethernet10",
          "Ethernet1",
        ];
        for (const port of configured) {
          await database(server, "CONFIG_DB").hset(`PORT|${port}`, {
            mtu: "9100",
          });
        }
        // In STATE_DB only (configuration removed while the link stays).
        await database(server, "STATE_DB").hset("PORT_TABLE|Ethernet20", {
          state: "ok",
          netdev_oper_status: "up",
          admin_status: "up",
          mtu: "1500",
        });
        const run = await status(server, { dir, args: ["--json"] });
        assert.equal(run.code, 0, run.stderr);
        const ports = JSON.parse(run.stdout).ports;
        assert.deepEqual(
          ports.map((port: { port: string }) => port.port),
          ["Ethernet1", "Ethernet2", "Ethernet10", "Ethernet20", "Ethernet100"],
        );
        const only = ports.find((port: { port: string }) =>
          port.port === "Ethernet20"
        );
        assert.equal(only.configured, false);
        assert.equal(only.present, true);
      })
    ),
});

Deno.test({
  name:
    "status: a report older than 3 report intervals is marked stale, in text and JSON",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis((server) =>
      withDir(async (dir) => {
        const updated = "2000-01-01T00:00:00.000Z";
        await database(server, "STATE_DB").hset(
          "PORTSYNCD_HEALTH_TABLE|portsyncd",
          {
            ...HEALTH,
            status: "degraded",
            reasons: "netlink overflow; queue depth 1200 >= 1000",
            updated,
          },
        );
        const toml = "[health]\nreport_interval_ms = 2000\n";
        const text = await status(server, { dir, toml });
        assert.equal(text.code, 0, text.stderr);
        const lines = text.stdout.split("\n");
        assert.match(
          lines[3],
          /^degraded .* 2000-01-01T00:00:00\.000Z \(stale\)$/,
        );
        assert.equal(
          lines[4],
          "Reasons: netlink overflow; queue depth 1200 >= 1000",
        );
        assert.equal(
          lines[5],
          "Stale: not updated for more than 3 report intervals (6 s); is portsyncd running?",
        );
        const json = await status(server, { dir, toml, args: ["--json"] });
        const health = JSON.parse(json.stdout).health;
        assert.equal(health.stale, true);
        assert.deepEqual(health.reasons, [
          "netlink overflow",
          "queue depth 1200 >= 1000",
        ]);
      })
    ),
});

Deno.test({
  name:
    "status: empty databases say no health report, no ports, no alerts (exit 0)",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis((server) =>
      withDir(async (dir) => {
        const text = await status(server, { dir });
        assert.equal(text.code, 0, text.stderr);
        assert.equal(
          text.stdout,
          "Health\nno health report (is portsyncd running?)\n\n" +
            "Ports\nno ports\n\nAlerts\nno alerts\n",
        );
        const json = await status(server, { dir, args: ["--json"] });
        assert.equal(json.code, 0, json.stderr);
        assert.deepEqual(JSON.parse(json.stdout), {
          health: null,
          ports: [],
          alerts: [],
        });
      })
    ),
});

Deno.test({
  name:
    "status: hostile values keep one line per row (control characters escaped, bad numbers '-')",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis((server) =>
      withDir(async (dir) => {
        await database(server, "STATE_DB").hset("PORT_TABLE|Ethernet0", {
          state: "ok",
          netdev_oper_status: "up\x1b[2J",
          admin_status: "up",
          mtu: "lots",
        });
        // Not a hash: read as an empty row, not a failure.
        await database(server, "STATE_DB").cli(
          "SET",
          "PORT_TABLE|Ethernet4",
          "x",
        );
        await database(server, "APPL_DB").hset(
          "PORTSYNCD_ALERT_TABLE:r|Ethernet0",
          {
            state: "firing",
            severity: "info",
            value: "NaN",
            since: "2025-06-01T11:59:00.000Z",
            message: "line one\nline two",
          },
        );
        const run = await status(server, { dir });
        assert.equal(run.code, 0, run.stderr);
        const lines = run.stdout.split("\n");
        assert.deepEqual(lines.slice(4, 8), [
          "Port       Admin  Oper       MTU  Flaps",
          "---------  -----  ---------  ---  -----",
          "Ethernet0  up     up\\x1b[2J    -      -",
          "Ethernet4  -      -            -      -",
        ]);
        assert.match(lines.at(-2)!, /NaN {2}\S+ {2}line one\\x0aline two$/);
      })
    ),
});

Deno.test({
  name: "status: takes no namespace lock and needs no FFI (no netlink socket)",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis((server) =>
      withDir(async (dir) => {
        const config = join(dir, "p.conf");
        const lockDir = join(dir, "locks");
        await Deno.writeTextFile(config, `[daemon]\nlock_dir = "${lockDir}"\n`);
        const run = await portsyncd([
          "--status",
          "-c",
          config,
          "-d",
          server.dbConfigPath,
        ], {
          permissions: ["--allow-read", "--allow-write", "--allow-net"],
        });
        assert.equal(run.stderr, "");
        assert.equal(run.code, 0);
        await assert.rejects(Deno.stat(lockDir), Deno.errors.NotFound);
      })
    ),
});

/** Asserts a run failed with exactly one line naming STATE_DB's endpoint. */
function assertUnreachable(run: Run, socketPath: string, why: RegExp): void {
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  const lines = run.stderr.split("\n");
  assert.equal(lines.length, 2, run.stderr);
  assert.equal(lines[1], "");
  const prefix =
    `portsyncd: cannot reach redis STATE_DB at unix:${socketPath}: `;
  assert.ok(lines[0].startsWith(prefix), lines[0]);
  assert.match(lines[0].slice(prefix.length), why);
}

Deno.test({
  name: "status: a Redis it cannot reach is one line and exit 1",
  ignore: !REDIS_AVAILABLE,
  fn: async (t) => {
    await withRedis((server) =>
      withDir(async (dir) => {
        const toml = "[store]\ncommand_timeout_ms = 300\n";
        await t.step("no reply (a hung server)", async () => {
          server.pause();
          try {
            const run = await status(server, { dir, toml });
            assertUnreachable(run, server.socketPath, /^no reply in 300 ms$/);
          } finally {
            server.resume();
          }
        });
        await server.halt();
        await t.step("no socket", async () => {
          const run = await status(server, { dir, toml });
          assertUnreachable(run, server.socketPath, /^ENOENT/);
        });
        await t.step(
          "connection refused (a socket nobody listens on)",
          async () => {
            // A socket file whose listener is gone: Deno unlinks its own
            // path on close, so the test keeps a hard link to it.
            const listener = Deno.listen({
              transport: "unix",
              path: join(dir, "listener.sock"),
            });
            await Deno.link(join(dir, "listener.sock"), server.socketPath);
            listener.close();
            try {
              const run = await status(server, { dir, toml });
              assertUnreachable(run, server.socketPath, /^ECONNREFUSED$/);
            } finally {
              await Deno.remove(server.socketPath).catch(() => {});
            }
          },
        );
      })
    );
  },
});
