/**
 * `deno task demo`: portsyncd on real kernel links, end to end.
 *
 * As root, it creates a private network namespace with veth port pairs,
 * starts a throwaway redis-server on a unix socket (or, without
 * redis-server, runs on the in-process memory store and says so), seeds
 * CONFIG_DB, runs the daemon, plays orchagent (consuming APPL_DB's
 * PORT_TABLE queue), flaps the ports and prints APPL_DB and STATE_DB after
 * each step. Everything is removed at the end, also on Ctrl-C. It reuses the
 * test helpers for the namespace, the Redis server and the consumer.
 * @module
 */

import { parseDbConfig } from "../src/config/db_config.ts";
import { defaultConfig } from "../src/config/load.ts";
import { BUILTIN_DB_CONFIG, type Settings } from "../src/config/settings.ts";
import { runDaemon } from "../src/daemon/mod.ts";
import { createLogger } from "../src/log/mod.ts";
import { MemoryStore } from "../src/store/memory_store.ts";
import { RedisStore } from "../src/store/redis_store.ts";
import type { Store } from "../src/store/types.ts";
import {
  createNetns,
  type Netns,
  netnsSkipReason,
} from "../tests/helpers/netns.ts";
import {
  REDIS_AVAILABLE,
  type RedisServer,
  startRedis,
} from "../tests/helpers/redis_server.ts";
import { TestConsumer } from "../tests/helpers/consumer.ts";

const PORTS = ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"];
const STEP_MS = 1200;

const STEPS: { title: string; ip: string[] }[] = [
  {
    title: "Ethernet0 admin up (its veth peer Ethernet4 is still down)",
    ip: [
      "link set Ethernet0 up",
    ],
  },
  {
    title: "Ethernet4 up: both ends of the veth are up, carrier comes",
    ip: [
      "link set Ethernet4 up",
    ],
  },
  { title: "Ethernet0 mtu 9000", ip: ["link set Ethernet0 mtu 9000"] },
  {
    title: "Ethernet4 down: Ethernet0 loses its carrier",
    ip: [
      "link set Ethernet4 down",
    ],
  },
  {
    title: "Ethernet8 and Ethernet12 up",
    ip: [
      "link set Ethernet8 up",
      "link set Ethernet12 up",
    ],
  },
  {
    title:
      "delete Ethernet8 (its peer Ethernet12 goes too): STATE_DB entries removed",
    ip: [
      "link del Ethernet8",
    ],
  },
];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

async function show(store: Store, title: string): Promise<void> {
  const appl = store.db("APPL_DB");
  const state = store.db("STATE_DB");
  console.log(`\n== ${title}`);
  console.log(
    `${pad("port", 11)} ${pad("APPL_DB PORT_TABLE", 40)} STATE_DB PORT_TABLE`,
  );
  for (const port of PORTS) {
    const a = await appl.hgetall(`PORT_TABLE:${port}`);
    const s = await state.hgetall(`PORT_TABLE|${port}`);
    const applText = Object.keys(a).length === 0
      ? "-"
      : `lanes=${a.lanes} speed=${a.speed} mtu=${a.mtu}`;
    const stateText = Object.keys(s).length === 0
      ? "-"
      : `state=${s.state} admin=${s.admin_status} oper=${s.netdev_oper_status} mtu=${s.mtu}`;
    console.log(`${pad(port, 11)} ${pad(applText, 40)} ${stateText}`);
  }
  const done = await appl.hgetall("PORT_TABLE:PortInitDone");
  console.log(`PortInitDone in APPL_DB: ${Object.keys(done).length > 0}`);
}

async function seed(store: Store): Promise<void> {
  const config = store.db("CONFIG_DB");
  for (const [index, port] of PORTS.entries()) {
    await config.hset(`PORT|${port}`, {
      lanes: `${index * 4},${index * 4 + 1},${index * 4 + 2},${index * 4 + 3}`,
      speed: "100000",
      mtu: "9100",
      alias: `etp${index + 1}`,
      admin_status: "up",
    });
  }
}

async function openDemoStore(): Promise<
  { store: Store; server: RedisServer | null }
> {
  if (!REDIS_AVAILABLE) {
    console.log(
      "redis-server not found: running on the in-process memory store " +
        "(install redis-server to see portsyncd on a real Redis)",
    );
    const config = parseDbConfig(BUILTIN_DB_CONFIG, { source: "built-in" });
    return { store: new MemoryStore(config), server: null };
  }
  const server = await startRedis();
  console.log(`redis-server on ${server.socketPath}`);
  const store = await RedisStore.connect(server.dbConfig, {
    databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
  });
  return { store, server };
}

async function main(): Promise<number> {
  const skip = netnsSkipReason();
  if (skip !== null) {
    console.error(
      `portsyncd demo: ${skip}; it creates a private network namespace ` +
        `with veth links (run it as root, e.g. sudo npx -y deno@2.9.6 task demo)`,
    );
    return 1;
  }
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  Deno.addSignalListener("SIGINT", interrupt);
  Deno.addSignalListener("SIGTERM", interrupt);
  let ns: Netns | null = null;
  let opened: { store: Store; server: RedisServer | null } | null = null;
  let consumerTimer: ReturnType<typeof setInterval> | undefined;
  let daemon: Promise<number> | null = null;
  try {
    ns = await createNetns({ prefix: "psd-demo" });
    console.log(
      `network namespace ${ns.name} with veth pairs Ethernet0-Ethernet4, Ethernet8-Ethernet12`,
    );
    await ns.ipBatch([
      "link add Ethernet0 type veth peer name Ethernet4",
      "link add Ethernet8 type veth peer name Ethernet12",
    ]);
    opened = await openDemoStore();
    const { store, server } = opened;
    await seed(store);
    console.log(`CONFIG_DB seeded with ${PORTS.join(", ")}`);
    const config = defaultConfig();
    config.netlink.namespace = ns.name;
    config.warm_restart.state_dir = ""; // a throw-away run keeps no state file
    const settings: Settings = {
      config,
      configSource: "demo",
      dbConfig: server?.dbConfig ??
        parseDbConfig(BUILTIN_DB_CONFIG, { source: "built-in" }),
      alertRules: [],
    };
    // Play orchagent: consume the PORT_TABLE queue into APPL_DB.
    const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
    consumerTimer = setInterval(() => {
      consumer.popAll().catch(() => {});
    }, 100);
    daemon = runDaemon(settings, {
      store,
      log: createLogger("info"),
      signal: controller.signal,
    });
    await sleep(STEP_MS);
    await show(store, "after start-up: ports published, all links down");
    for (const step of STEPS) {
      if (controller.signal.aborted) break;
      await ns.ipBatch(step.ip);
      await sleep(STEP_MS);
      await show(store, step.title);
    }
    controller.abort();
    return await daemon;
  } finally {
    controller.abort();
    await daemon?.catch(() => 1);
    clearInterval(consumerTimer);
    await opened?.store.close();
    await opened?.server?.stop();
    await ns?.destroy();
    Deno.removeSignalListener("SIGINT", interrupt);
    Deno.removeSignalListener("SIGTERM", interrupt);
    console.log("\ndemo cleaned up: namespace, links and redis-server removed");
  }
}

Deno.exit(await main());
