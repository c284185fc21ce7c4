/**
 * Daemon soak: the real portsyncd on 8 veth ports in a private namespace and
 * a throw-away Redis, every port in APPL_DB (a switch's steady state), fed
 * `--changes` link changes (admin up/down and MTU, `ip -batch`) in
 * `--phases` phases. After each phase it waits until STATE_DB equals the
 * kernel, measures single-change latency (`--samples` changes), the
 * daemon's VmRSS, and its live heap (the size after the last full GC, from
 * `--v8-flags=--trace-gc`), and prints one JSON line; then a summary line
 * comparing the last phase with the first after the warm-up (phase 0).
 *
 * ```sh
 * deno run -A tools/soak_daemon.ts --changes 1000000 --phases 10
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { createNetns, type Netns } from "../tests/helpers/netns.ts";
import { addPorts, stateMatchesKernel } from "../tests/helpers/ports.ts";
import { type RedisServer, startRedis } from "../tests/helpers/redis_server.ts";
import {
  type DaemonProcess,
  startDaemon,
  waitFor,
} from "../tests/helpers/daemon.ts";
import { TestConsumer } from "../tests/helpers/consumer.ts";
import { RedisStore } from "../src/store/redis_store.ts";
import { type LatencyFigures, LatencyProbe, rssMiB } from "./latency_probe.ts";

const PORTS = Array.from({ length: 8 }, (_, i) => `Ethernet${i * 4}`);

/** Figures after one phase. */
export interface SoakPhase {
  phase: number;
  changes: number;
  rss_mib: number;
  /** Live heap after the last full GC so far, MiB (null before the first). */
  heap_mib: number | null;
  latency: LatencyFigures;
}

/** The summary of a soak. */
export interface SoakSummary {
  changes: number;
  phases: number;
  rss_warm_mib: number;
  rss_end_mib: number;
  heap_warm_mib: number | null;
  heap_end_mib: number | null;
  heap_growth_percent: number | null;
  p99_warm_us: number;
  p99_end_us: number;
  /** Link messages the daemon reported at shutdown. */
  link_messages: number;
  overflows: number;
}

/** Each port's admin state and MTU index as the storms left them. */
const up = new Map<string, boolean>();
const mtu = new Map<string, number>();

/**
 * `count` lines of `ip -batch`, each a real change (a port's admin state
 * flipped, or its MTU set to a new value), so each makes the kernel send at
 * least one RTM_NEWLINK.
 */
function stormLines(count: number, seed: number): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) & 0x7fffffff);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = PORTS[next() % PORTS.length];
    if (next() % 2 === 0) {
      const now = !(up.get(port) ?? false);
      up.set(port, now);
      lines.push(`link set ${port} ${now ? "up" : "down"}`);
    } else {
      const value = 1500 + ((mtu.get(port) ?? 0) + 1 + (next() % 7)) % 8 * 1000;
      mtu.set(port, (value - 1500) / 1000);
      lines.push(`link set ${port} mtu ${value}`);
    }
  }
  return lines;
}

function converged(ns: Netns, store: RedisStore): Promise<boolean> {
  return stateMatchesKernel(ns, store.db("STATE_DB"));
}

/** Parses `Mark-Compact 12.3 (15.0) -> 8.1 (16.0) MB` lines of --trace-gc. */
function heapWatcher(): { line(text: string): void; live(): number | null } {
  let live: number | null = null;
  return {
    line(text: string) {
      const match = text.match(/Mark-Compact[^>]*-> ([\d.]+) \(/);
      if (match !== null) live = Number(match[1]);
    },
    live: () => live,
  };
}

/**
 * Runs the soak; prints and returns the summary.
 *
 * @example
 * ```ts ignore
 * const summary = await soakDaemon({ changes: 100_000, phases: 5, samples: 50 });
 * ```
 */
export async function soakDaemon(
  options: { changes: number; phases: number; samples: number },
): Promise<SoakSummary> {
  let server: RedisServer | null = null;
  let ns: Netns | null = null;
  let store: RedisStore | null = null;
  let daemon: DaemonProcess | null = null;
  let probe: LatencyProbe | null = null;
  const heap = heapWatcher();
  const phases: SoakPhase[] = [];
  try {
    server = await startRedis();
    ns = await createNetns({ prefix: "psd-soak" });
    store = await RedisStore.connect(server.dbConfig, {
      databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
    });
    await addPorts(ns, PORTS, { config: store.db("CONFIG_DB") });
    daemon = await startDaemon({
      dbConfigPath: server.dbConfigPath,
      config: `[netlink]\nnamespace = "${ns.name}"\n`,
      denoArgs: ["--v8-flags=--trace-gc"],
      onStdout: heap.line,
    });
    const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
    await waitFor(
      "the ports in APPL_DB",
      async () => (await consumer.popAll()).length > 0,
    );
    await daemon.waitForLog(/PortInitDone published/);
    probe = await LatencyProbe.open(ns, {
      socketPath: server.socketPath,
      port: PORTS[0],
    });
    const perPhase = Math.ceil(options.changes / options.phases);
    let made = 0;
    for (let phase = 0; phase < options.phases; phase++) {
      const storm = stormLines(perPhase, 1000 + phase);
      for (let start = 0; start < storm.length; start += 20_000) {
        await ns.ipBatch(storm.slice(start, start + 20_000));
      }
      made += storm.length;
      try {
        await waitFor(
          "STATE_DB to equal the kernel",
          () => converged(ns!, store!),
          { timeoutMs: 60_000 },
        );
      } catch (error) {
        console.error(daemon.lines.slice(-20).join("\n"));
        throw error;
      }
      const latency = await probe.measure(options.samples);
      const figures: SoakPhase = {
        phase,
        changes: made,
        rss_mib: await rssMiB(daemon.pid),
        heap_mib: heap.live(),
        latency,
      };
      phases.push(figures);
      console.log(JSON.stringify(figures));
    }
    const stopped = await daemon.stop("SIGTERM");
    if (stopped.code !== 0) throw new Error(`daemon exited ${stopped.code}`);
    const counters = daemon.lines.find((l) =>
      /shutting down counters=/.test(l)
    ) ??
      "";
    const count = (name: string) =>
      Number(
        counters.match(new RegExp(`\\\\?"${name}\\\\?":(\\d+)`))?.[1] ?? -1,
      );
    // Phase 0 is the warm-up: its end is the baseline.
    const warm = phases[Math.min(1, phases.length - 1)];
    const end = phases[phases.length - 1];
    const growth = warm.heap_mib !== null && end.heap_mib !== null
      ? Math.round((end.heap_mib - warm.heap_mib) / warm.heap_mib * 1000) / 10
      : null;
    const summary: SoakSummary = {
      changes: made,
      phases: phases.length,
      rss_warm_mib: warm.rss_mib,
      rss_end_mib: end.rss_mib,
      heap_warm_mib: warm.heap_mib,
      heap_end_mib: end.heap_mib,
      heap_growth_percent: growth,
      p99_warm_us: warm.latency.p99_us,
      p99_end_us: end.latency.p99_us,
      link_messages: count("linkMessages"),
      overflows: count("overflows"),
    };
    console.log(JSON.stringify({ summary }));
    return summary;
  } finally {
    await probe?.close();
    await daemon?.stop("SIGKILL");
    await store?.close();
    await ns?.destroy();
    await server?.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      changes: { type: "string", default: "1000000" },
      phases: { type: "string", default: "10" },
      samples: { type: "string", default: "100" },
    },
  });
  await soakDaemon({
    changes: Number(values.changes),
    phases: Number(values.phases),
    samples: Number(values.samples),
  });
}
