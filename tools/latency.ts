/**
 * Load script: end-to-end latency of portsyncd from a kernel link message to
 * the STATE_DB write, on real links in a private namespace and a real Redis.
 *
 * It starts a throw-away redis-server and namespace (veth Ethernet0 /
 * Ethernet4), runs the daemon as a child process, and then, `--changes`
 * times, changes Ethernet0's MTU. For each change it timestamps the kernel's
 * RTM_NEWLINK on its own link socket in the same namespace (the daemon
 * receives the same message at the same moment) and the keyspace
 * notification of STATE_DB `PORT_TABLE|Ethernet0`, and reports the
 * percentiles of the difference. Changes are made one at a time (each waits
 * for its write), so this is the unloaded per-event latency.
 *
 * ```sh
 * deno run -A tools/latency.ts --changes 500
 * ```
 * @module
 */

import { createClient } from "redis";
import { LinkSocket } from "../src/netlink/socket.ts";
import { createNetns } from "../tests/helpers/netns.ts";
import { startRedis } from "../tests/helpers/redis_server.ts";
import { startDaemon } from "../tests/helpers/daemon.ts";
import { TestConsumer } from "../tests/helpers/consumer.ts";
import { RedisStore } from "../src/store/redis_store.ts";

function argument(name: string, fallback: number): number {
  const index = Deno.args.indexOf(`--${name}`);
  return index >= 0 ? Number(Deno.args[index + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const changes = argument("changes", 500);
const server = await startRedis();
const ns = await createNetns({ prefix: "psd-lat" });
const subscriber = createClient({
  socket: { path: server.socketPath, tls: false },
});
let store: RedisStore | null = null;
let daemon: Awaited<ReturnType<typeof startDaemon>> | null = null;
let socket: LinkSocket | null = null;
try {
  await ns.ip(
    "link",
    "add",
    "Ethernet0",
    "type",
    "veth",
    "peer",
    "name",
    "Ethernet4",
  );
  store = await RedisStore.connect(server.dbConfig, {
    databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
  });
  await store.db("CONFIG_DB").hset("PORT|Ethernet0", {
    lanes: "0",
    speed: "100000",
  });
  await server.cli("CONFIG", "SET", "notify-keyspace-events", "Kh");
  daemon = await startDaemon({
    dbConfigPath: server.dbConfigPath,
    config: `[netlink]\nnamespace = "${ns.name}"\n`,
  });
  const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
  while ((await consumer.popAll()).length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await daemon.waitForLog(/PortInitDone published/);

  let notified: (() => void) | null = null;
  let notifiedAt = 0;
  await subscriber.connect();
  await subscriber.subscribe("__keyspace@6__:PORT_TABLE|Ethernet0", () => {
    notifiedAt = performance.now();
    notified?.();
  });
  socket = LinkSocket.open({ netns: ns.name });
  const samples: number[] = [];
  for (let i = 0; i < changes; i++) {
    const mtu = 2000 + (i % 2) * 1000 + (i % 7);
    const written = new Promise<void>((resolve) => notified = resolve);
    await ns.ip("link", "set", "Ethernet0", "mtu", String(mtu));
    let kernelAt = 0;
    while (kernelAt === 0) {
      for (const notice of await socket.receive()) {
        if (
          notice.kind === "link" && notice.event.name === "Ethernet0" &&
          notice.event.mtu === mtu
        ) kernelAt = performance.now();
      }
    }
    await written;
    samples.push(Math.max(0, notifiedAt - kernelAt));
  }
  const rss = (await Deno.readTextFile(`/proc/${daemon.pid}/status`))
    .match(/VmRSS:\s+(\d+) kB/)?.[1];
  samples.sort((a, b) => a - b);
  const us = (ms: number) => `${Math.round(ms * 1000)} µs`;
  console.log(
    `changes=${samples.length} p50=${us(percentile(samples, 0.5))} ` +
      `p95=${us(percentile(samples, 0.95))} p99=${
        us(percentile(samples, 0.99))
      } ` +
      `max=${us(samples[samples.length - 1])} daemon_rss=${
        Math.round(Number(rss) / 1024)
      } MiB`,
  );
} finally {
  socket?.close();
  await subscriber.quit().catch(() => {});
  await daemon?.stop("SIGTERM");
  await store?.close();
  await ns.destroy();
  await server.stop();
}
