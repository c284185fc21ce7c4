/**
 * Seeding for the `--status` tests: HSET into a test Redis, the small
 * fixture (three ports, a health report, three alerts) and a `--status`
 * run against it.
 * @module
 */

import { join } from "node:path";
import type { RedisServer } from "../helpers/redis_server.ts";
import { portsyncd, type Run } from "./run.ts";

/** One database of a test Redis, written through redis-cli. */
export interface TestDatabase {
  /** Runs a command on this database; resolves with its output. */
  cli(...args: string[]): Promise<string>;
  /** HSET of `fields` on `key`. */
  hset(key: string, fields: Record<string, string>): Promise<void>;
}

/**
 * The database `name` (from the server's database map) of a test Redis.
 *
 * @example
 * ```ts ignore
 * await database(server, "STATE_DB").hset("PORT_TABLE|Ethernet0", { mtu: "9100" });
 * ```
 */
export function database(server: RedisServer, name: string): TestDatabase {
  const id = server.dbConfig.databases.get(name)?.id;
  if (id === undefined) throw new Error(`no ${name} in the test database map`);
  const cli = (...args: string[]) => server.cli("-n", String(id), ...args);
  return {
    cli,
    async hset(key, fields) {
      await cli("HSET", key, ...Object.entries(fields).flat());
    },
  };
}

/** `portsyncd --status ARGS` with a config file holding `toml` in `dir`. */
export async function status(
  server: RedisServer,
  options: { dir: string; toml?: string; args?: string[] },
): Promise<Run> {
  const config = join(options.dir, "p.conf");
  await Deno.writeTextFile(config, options.toml ?? "");
  return await portsyncd([
    "--status",
    ...options.args ?? [],
    "--config",
    config,
    "--db-config",
    server.dbConfigPath,
  ]);
}

/** A report interval of one hour: a report written now is fresh throughout the test. */
export const FRESH = "[health]\nreport_interval_ms = 3600000\n";

/** A health report's fields, all but `updated`. */
export const HEALTH = {
  status: "healthy",
  reasons: "",
  health_score: "1",
  latency_p50_us: "120",
  latency_p95_us: "250",
  latency_p99_us: "900",
  latency_max_us: "1000",
  events_per_second: "3.5",
  queue_depth: "0",
  memory_rss_bytes: "52428800",
  memory_heap_bytes: "10485760",
};

/** Three configured ports (Ethernet10 has no link), two alerts on ports and one on the switch. */
export async function seedFixture(
  server: RedisServer,
  updated: string,
): Promise<void> {
  for (const port of ["Ethernet0", "Ethernet10", "Ethernet2"]) {
    await database(server, "CONFIG_DB").hset(`PORT|${port}`, {
      admin_status: "up",
      mtu: "9100",
    });
  }
  await database(server, "STATE_DB").hset("PORT_TABLE|Ethernet0", {
    state: "ok",
    netdev_oper_status: "up",
    admin_status: "up",
    mtu: "9100",
  });
  await database(server, "STATE_DB").hset("PORT_TABLE|Ethernet2", {
    state: "ok",
    netdev_oper_status: "down",
    admin_status: "up",
    mtu: "9100",
  });
  await database(server, "STATE_DB").hset("PORTSYNCD_PORT_STATS|Ethernet0", {
    flaps: "0",
  });
  await database(server, "STATE_DB").hset("PORTSYNCD_PORT_STATS|Ethernet2", {
    flaps: "3",
  });
  await database(server, "STATE_DB").hset("PORTSYNCD_HEALTH_TABLE|portsyncd", {
    ...HEALTH,
    updated,
  });
  const alerts = [
    ["any_port_down|Ethernet2", "firing", "warning", "Port Ethernet2 is down"],
    [
      "any_port_down|Ethernet10",
      "firing",
      "warning",
      "Port Ethernet10 is down",
    ],
    ["too_many_ports_down", "suppressed", "critical", "2 ports down"],
  ];
  for (const [key, state, severity, message] of alerts) {
    await database(server, "APPL_DB").hset(`PORTSYNCD_ALERT_TABLE:${key}`, {
      state,
      severity,
      value: key.startsWith("too_many") ? "2" : "1",
      since: "2025-06-01T11:59:00.000Z",
      message,
    });
  }
}
