/**
 * The integration rig for port sync: a real redis-server on a unix socket,
 * a private network namespace with veth ports, a RedisStore of the test's
 * own, an independent consumer playing orchagent, and the real daemon.
 * Everything is removed in `finally`, also when the test fails.
 * @module
 */

import type { Database, Fields } from "../../src/store/types.ts";
import { RedisStore } from "../../src/store/redis_store.ts";
import { createNetns, type Netns, netnsSkipReason } from "../helpers/netns.ts";
import {
  REDIS_AVAILABLE,
  type RedisServer,
  startRedis,
} from "../helpers/redis_server.ts";
import { type ConsumerOp, TestConsumer } from "../helpers/consumer.ts";
import { type DaemonProcess, startDaemon, waitFor } from "../helpers/daemon.ts";

/** Why the integration tests cannot run here, or null. */
const RIG_SKIP: string | null = netnsSkipReason() ??
  (REDIS_AVAILABLE ? null : "redis-server is not installed");

/** Ports configured in CONFIG_DB, as veth pairs 0-4 and 8-12. */
export const PORTS = ["Ethernet0", "Ethernet4", "Ethernet8", "Ethernet12"];

/** The rig handed to a test body. */
export interface Rig {
  server: RedisServer;
  ns: Netns;
  appl: Database;
  config: Database;
  state: Database;
  /** Every op the consumer popped so far, in order. */
  consumed: ConsumerOp[];
  /** Pops everything pending (playing orchagent). */
  consume(): Promise<ConsumerOp[]>;
  /** Starts the daemon on the namespace; `toml` is appended inside `[netlink]`. */
  start(options?: { toml?: string; args?: string[] }): Promise<DaemonProcess>;
  /**
   * Starts the daemon, lets it reconcile, consumes what it published (so
   * orchagent has created the ports) and waits for PortInitDone.
   */
  startReady(options?: { toml?: string }): Promise<DaemonProcess>;
  /** STATE_DB `PORT_TABLE|<port>`, `{}` when absent. */
  stateOf(port: string): Promise<Fields>;
  /** The kernel's truth for the Ethernet links: owned STATE_DB fields by port. */
  kernel(): Promise<Map<string, Fields>>;
}

/** Seeds CONFIG_DB with the configured ports. */
async function seedConfig(config: Database): Promise<void> {
  for (const [index, port] of PORTS.entries()) {
    await config.hset(`PORT|${port}`, {
      "lanes@": `${index * 4},${index * 4 + 1}`,
      speed: "100000",
      alias: `etp${index + 1}`,
      mtu: "9100",
    });
  }
}

/**
 * The kernel's truth for the Ethernet links of a namespace, read from sysfs:
 * the owned STATE_DB fields by port.
 */
export async function kernelState(
  namespace: string,
): Promise<Map<string, Fields>> {
  const script =
    'for f in /sys/class/net/Ethernet*; do [ -e "$f" ] && echo ${f##*/} $(cat $f/flags) $(cat $f/mtu) $(cat $f/operstate); done; true';
  const output = await new Deno.Command("ip", {
    args: ["netns", "exec", namespace, "sh", "-c", script],
    stdout: "piped",
  }).output();
  const ports = new Map<string, Fields>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    if (line.trim() === "") continue;
    const [name, flags, mtu, operstate] = line.split(" ");
    // sysfs `flags` is dev->flags, without the computed IFF_RUNNING; the
    // kernel sets IFF_RUNNING for an up device whose operstate is up or
    // unknown (dev_get_flags / netif_oper_up).
    const admin = (Number.parseInt(flags, 16) & 0x1) !== 0;
    const running = admin && (operstate === "up" || operstate === "unknown");
    ports.set(name, {
      state: "ok",
      netdev_oper_status: running ? "up" : "down",
      admin_status: admin ? "up" : "down",
      mtu,
    });
  }
  return ports;
}

/**
 * Runs `body` with a fresh rig: ports created (down), CONFIG_DB seeded, no
 * daemon yet. Tears everything down afterwards.
 */
async function withRig(
  body: (rig: Rig) => Promise<void>,
): Promise<void> {
  const server = await startRedis();
  const daemons: DaemonProcess[] = [];
  let ns: Netns | null = null;
  let store: RedisStore | null = null;
  try {
    ns = await createNetns({ prefix: "psd-sync" });
    await ns.ipBatch([
      "link add Ethernet0 type veth peer name Ethernet4",
      "link add Ethernet8 type veth peer name Ethernet12",
      "link add Ethernet16 type veth peer name eth16",
    ]);
    store = await RedisStore.connect(server.dbConfig, {
      databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
    });
    const appl = store.db("APPL_DB");
    const config = store.db("CONFIG_DB");
    const state = store.db("STATE_DB");
    await seedConfig(config);
    const consumer = new TestConsumer(appl, "PORT_TABLE");
    const consumed: ConsumerOp[] = [];
    const namespace = ns.name;
    const rig: Rig = {
      server,
      ns,
      appl,
      config,
      state,
      consumed,
      async consume() {
        const ops = await consumer.popAll();
        consumed.push(...ops);
        return ops;
      },
      async start(options = {}) {
        const daemon = await startDaemon({
          dbConfigPath: server.dbConfigPath,
          config:
            `[log]\nlevel = "debug"\n[netlink]\nnamespace = "${namespace}"\n` +
            (options.toml ?? ""),
          args: options.args,
        });
        daemons.push(daemon);
        return daemon;
      },
      async startReady(options = {}) {
        const daemon = await rig.start(options);
        await daemon.waitForLog(/reconciled STATE_DB/);
        await rig.consume();
        await daemon.waitForLog(/PortInitDone published/);
        return daemon;
      },
      stateOf: (port) => state.hgetall(`PORT_TABLE|${port}`),
      kernel: () => kernelState(namespace),
    };
    await body(rig);
  } finally {
    for (const daemon of daemons) await daemon.stop("SIGKILL");
    await store?.close();
    await ns?.destroy();
    await server.stop();
  }
}

/**
 * Registers a test that runs `body` in a fresh rig, skipped (with the
 * reason) where namespaces or redis-server are unavailable.
 */
export function rigTest(name: string, body: (rig: Rig) => Promise<void>): void {
  Deno.test({ name, ignore: RIG_SKIP !== null, fn: () => withRig(body) });
}

/**
 * Waits until STATE_DB's owned fields equal the kernel's for every
 * configured port that exists, and no configured port that is gone has a
 * hash. Returns the kernel state it matched.
 */
export async function waitForConvergence(
  rig: Rig,
  options: { timeoutMs?: number } = {},
): Promise<Map<string, Fields>> {
  let mismatch = "";
  try {
    const kernel = await waitFor("STATE_DB to equal the kernel", async () => {
      const kernel = await rig.kernel();
      for (const port of PORTS) {
        const state = await rig.stateOf(port);
        const want = kernel.get(port);
        if (want === undefined) {
          if (Object.keys(state).length > 0) {
            mismatch = `${port} is gone but STATE_DB has ${
              JSON.stringify(state)
            }`;
            return null;
          }
          continue;
        }
        for (const [field, value] of Object.entries(want)) {
          if (state[field] !== value) {
            mismatch = `${port}.${field}: kernel ${value}, STATE_DB ${
              state[field]
            }`;
            return null;
          }
        }
      }
      return kernel;
    }, { timeoutMs: options.timeoutMs ?? 20_000 });
    return kernel!;
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${mismatch}`);
  }
}

/** Lines for `ip -batch` that flap the configured ports `rounds` times. */
export function stormLines(rounds: number, seed = 1): string[] {
  let x = seed;
  const random = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  };
  const lines: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const port = PORTS[random() % PORTS.length];
    const choice = random() % 3;
    if (choice === 0) lines.push(`link set ${port} up`);
    else if (choice === 1) lines.push(`link set ${port} down`);
    else lines.push(`link set ${port} mtu ${1500 + (random() % 8) * 1000}`);
  }
  return lines;
}
