/**
 * Load script: end-to-end latency of portsyncd from a kernel link message to
 * the STATE_DB write, on real links in a private namespace and a real Redis.
 *
 * It starts a throw-away redis-server and namespace (veth Ethernet0 /
 * Ethernet4), runs the daemon as a child process, and then, `--changes`
 * times, changes Ethernet0's MTU with a netlink request, one change at a
 * time (each waits for its write), so this is the unloaded per-event
 * latency (see `latency_probe.ts`; `deno task load` measures it under
 * storms too). It also prints the daemon's VmRSS at the end.
 *
 * ```sh
 * deno run -A tools/latency.ts --changes 500
 * ```
 * @module
 */

import { createNetns } from "../tests/helpers/netns.ts";
import { startRedis } from "../tests/helpers/redis_server.ts";
import { startDaemon, waitFor } from "../tests/helpers/daemon.ts";
import { TestConsumer } from "../tests/helpers/consumer.ts";
import { RedisStore } from "../src/store/redis_store.ts";
import { figures, LatencyProbe, rssMiB } from "./latency_probe.ts";

function argument(name: string, fallback: number): number {
  const index = Deno.args.indexOf(`--${name}`);
  return index >= 0 ? Number(Deno.args[index + 1]) : fallback;
}

const changes = argument("changes", 500);
const server = await startRedis();
const ns = await createNetns({ prefix: "psd-lat" });
let store: RedisStore | null = null;
let daemon: Awaited<ReturnType<typeof startDaemon>> | null = null;
let probe: LatencyProbe | null = null;
try {
  await ns.ipBatch(["link add Ethernet0 type veth peer name Ethernet4"]);
  store = await RedisStore.connect(server.dbConfig, {
    databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
  });
  await store.db("CONFIG_DB").hset("PORT|Ethernet0", {
    lanes: "0",
    speed: "100000",
  });
  daemon = await startDaemon({
    dbConfigPath: server.dbConfigPath,
    config: `[netlink]\nnamespace = "${ns.name}"\n`,
  });
  const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
  await waitFor(
    "the port in APPL_DB",
    async () => (await consumer.popAll()).length > 0,
  );
  await daemon.waitForLog(/PortInitDone published/);
  probe = await LatencyProbe.open(ns, {
    socketPath: server.socketPath,
    port: "Ethernet0",
  });
  const samples = await probe.sample({ count: changes });
  const kernel = figures(samples.kernel);
  const request = figures(samples.request);
  console.log(
    `changes=${request.samples} p50=${request.p50_us} µs p95=${request.p95_us} µs ` +
      `p99=${request.p99_us} µs max=${request.max_us} µs ` +
      `(from our own link socket's wake-up: p50=${kernel.p50_us} p99=${kernel.p99_us} µs) ` +
      `daemon_rss=${await rssMiB(daemon.pid)} MiB`,
  );
} finally {
  await probe?.close();
  await daemon?.stop("SIGTERM");
  await store?.close();
  await ns.destroy();
  await server.stop();
}
