/**
 * The load harness's rig: a private namespace with veth ports, a throw-away
 * redis-server (unix socket, temp dir), CONFIG_DB `PORT|*` entries for the
 * ports, alert rules, and the real daemon run to PortInitDone with its
 * metrics served on a loopback port. `close()` removes all of it, also
 * after a failure half-way.
 * @module
 */

import { RedisStore } from "../../src/store/redis_store.ts";
import { TestConsumer } from "../../tests/helpers/consumer.ts";
import {
  type DaemonProcess,
  startDaemon,
  waitFor,
} from "../../tests/helpers/daemon.ts";
import { createNetns, type Netns } from "../../tests/helpers/netns.ts";
import {
  type RedisServer,
  startRedis,
} from "../../tests/helpers/redis_server.ts";

/** Options of {@linkcode startLoadRig}. */
export interface LoadRigOptions {
  /** Ports (even: veth pairs `Ethernet0`/`Ethernet4`, `Ethernet8`/...). */
  ports: number;
  /** Alert rules in the daemon's config file (none fire). */
  rules: number;
  /** `--v8-flags=` value for the daemon, or null. */
  v8Flags: string | null;
  /** `[netlink] coalesce_us` for the daemon, or null for its default. */
  coalesceUs?: number | null;
  /** Called as soon as the daemon is spawned (to sample it from the start). */
  onSpawned?: (
    pids: { daemon: number; redis: number },
    spawnedAt: number,
  ) => void;
}

/** What the harness runs against. */
export interface LoadRig {
  readonly ns: Netns;
  readonly server: RedisServer;
  readonly store: RedisStore;
  readonly daemon: DaemonProcess;
  /** Port names, in order. */
  readonly ports: string[];
  readonly redisPid: number;
  readonly redisVersion: string;
  /** `performance.now()` when the daemon was spawned. */
  readonly spawnedAt: number;
  /** Daemon spawned → PortInitDone, ms. */
  readonly readyMs: number;
  /** A counter or gauge from the daemon's /metrics (unlabelled series). */
  metric(name: string): Promise<number>;
  /** Stops the daemon (SIGTERM) and removes everything; idempotent. */
  close(): Promise<{ code: number; ms: number } | null>;
}

/** `Ethernet0`, `Ethernet4`, ... */
export function portNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `Ethernet${i * 4}`);
}

/**
 * `count` alert rules that read metrics on the event path (switch-wide and
 * per-port ones) but whose conditions never hold, so no alert is written.
 */
export function ruleToml(count: number): string {
  const kinds = [
    `metric = "ports_oper_down"\ncondition = "above"\nthreshold = 1e12`,
    `metric = "port_oper_up"\ncondition = "below"\nthreshold = -1`,
    `metric = "queue_depth"\ncondition = "above"\nthreshold = 1e12`,
    `metric = "latency_p99_us"\ncondition = "above"\nthreshold = 1e12`,
    `metric = "events_per_second_10s"\ncondition = "above"\nthreshold = 1e12`,
    `metric = "netlink_overflows_total"\ncondition = "rate_of_change"\nthreshold = 1e12\nwindow = "60s"`,
    `metric = "state_writes_total"\ncondition = "between"\nmin = -2\nmax = -1`,
    `metric = "memory_rss_bytes"\ncondition = "above"\nthreshold = 1e15`,
  ];
  const rules: string[] = [];
  for (let i = 0; i < count; i++) {
    rules.push(
      `[[alerting.rules]]\nid = "load_${i}"\n${kinds[i % kinds.length]}\n` +
        `description = "load rule ${i}"\n`,
    );
  }
  return rules.join("\n");
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Builds the rig and waits until the daemon has published every port to
 * APPL_DB (consumed as orchagent would) and PortInitDone.
 */
export async function startLoadRig(options: LoadRigOptions): Promise<LoadRig> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      await step().catch((error) =>
        console.error(`load: cleanup: ${(error as Error).message}`)
      );
    }
  };
  try {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const ns = await createNetns({ prefix: "psd-load" });
    cleanups.push(() => ns.destroy());
    const ports = portNames(options.ports);
    const pairs: string[] = [];
    for (let i = 0; i < ports.length; i += 2) {
      pairs.push(`link add ${ports[i]} type veth peer name ${ports[i + 1]}`);
    }
    await ns.ipBatch(pairs);
    const store = await RedisStore.connect(server.dbConfig, {
      databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
    });
    cleanups.push(() => store.close());
    await Promise.all(
      ports.map((port, index) =>
        store.db("CONFIG_DB").hset(`PORT|${port}`, {
          lanes: `${index * 4},${index * 4 + 1},${index * 4 + 2},${
            index * 4 + 3
          }`,
          speed: "100000",
          alias: `etp${index + 1}`,
        })
      ),
    );
    const info = await server.cli("INFO", "server");
    const redisPid = Number(info.match(/process_id:(\d+)/)?.[1]);
    const redisVersion = info.match(/redis_version:(\S+)/)?.[1] ?? "unknown";
    const metricsPort = freePort();
    const spawnedAt = performance.now();
    const daemon = await startDaemon({
      dbConfigPath: server.dbConfigPath,
      config: `[netlink]\nnamespace = "${ns.name}"\n` +
        (options.coalesceUs == null
          ? ""
          : `coalesce_us = ${options.coalesceUs}\n`) +
        `[metrics]\nlisten = "127.0.0.1:${metricsPort}"\n` +
        (options.rules > 0 ? `[alerting]\n${ruleToml(options.rules)}` : ""),
      denoArgs: options.v8Flags === null
        ? []
        : [`--v8-flags=${options.v8Flags}`],
    });
    cleanups.push(() => daemon.stop("SIGKILL"));
    options.onSpawned?.({ daemon: daemon.pid, redis: redisPid }, spawnedAt);
    const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
    const published = new Set<string>();
    await waitFor(
      `all ${ports.length} ports in APPL_DB`,
      async () => {
        for (const op of await consumer.popAll()) published.add(op.key);
        return published.size >= ports.length;
      },
      { timeoutMs: 30_000 + ports.length * 20 },
    );
    await daemon.waitForLog(/PortInitDone published/, { timeoutMs: 60_000 });
    const readyMs = Math.round(performance.now() - spawnedAt);
    const metric = async (name: string): Promise<number> => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      const body = await response.text();
      const value = body.match(new RegExp(`^${name} (\\S+)$`, "m"))?.[1];
      if (value === undefined) throw new Error(`/metrics has no ${name}`);
      return Number(value);
    };
    let stopped: Promise<{ code: number; ms: number } | null> | null = null;
    return {
      ns,
      server,
      store,
      daemon,
      ports,
      redisPid,
      redisVersion,
      spawnedAt,
      readyMs,
      metric,
      close() {
        stopped ??= (async () => {
          const result = daemon.exited ? null : await daemon.stop("SIGTERM");
          await cleanup();
          return result;
        })();
        return stopped;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
