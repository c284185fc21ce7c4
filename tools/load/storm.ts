/**
 * Storms: link changes from parallel `ip -batch` processes at an offered
 * rate, and the wait for STATE_DB to equal the kernel afterwards.
 * @module
 */

import type { Database } from "../../src/store/types.ts";
import type { Netns } from "../../tests/helpers/netns.ts";
import { RespConnection } from "./resp.ts";
import { compareState, type StateComparison } from "./state.ts";

/** An offered rate in changes per second, or `max` (as fast as `ip` goes). */
export type OfferedRate = number | "max";

/**
 * A rate for people: `2k/s`, `11.2k/s` (one decimal), `max`.
 *
 * @example
 * ```ts
 * import { rateLabel } from "./storm.ts";
 * rateLabel(2000); // "2k/s"
 * ```
 */
export function rateLabel(rate: OfferedRate): string {
  if (rate === "max") return "max";
  return rate >= 1000
    ? `${Math.round(rate / 100) / 10}k/s`
    : `${Math.round(rate)}/s`;
}

/** MTUs the storms choose from. */
const MTUS = [1500, 2500, 3500, 4500, 5500, 6500, 7500, 8500];

/**
 * Storm lines over a fixed set of ports, remembering each port's admin
 * state and MTU across storms, so that every line is a real change (the
 * admin state flipped, or the MTU set to a value it does not have) and
 * makes the kernel send at least one RTM_NEWLINK.
 *
 * @example
 * ```ts
 * import { StormLines } from "./storm.ts";
 * const lines = new StormLines(["Ethernet8", "Ethernet12"]).next(4, 2);
 * lines.length; // 2 (one list per ip process)
 * ```
 */
export class StormLines {
  readonly #ports: readonly string[];
  readonly #up = new Map<string, boolean>();
  readonly #mtu = new Map<string, number>();
  #seed = 1;

  /** Ports start admin down with MTU 1500 (a new veth's state). */
  constructor(ports: readonly string[]) {
    if (ports.length === 0) throw new Error("a storm needs at least one port");
    this.#ports = ports;
  }

  /**
   * `changes` lines split over `parallel` processes: line k goes to
   * process k % parallel, and each process has its own ports (port i
   * belongs to process i % parallel), so no two processes race on a port.
   */
  next(changes: number, parallel: number): string[][] {
    const groups = Array.from({ length: parallel }, () => [] as string[]);
    const owned = groups.map((_, group) =>
      this.#ports.filter((_, index) => index % parallel === group)
    );
    let x = this.#seed++;
    const random = () => (x = (x * 1103515245 + 12345) & 0x7fffffff);
    for (let k = 0; k < changes; k++) {
      const group = k % parallel;
      const ports = owned[group];
      const port = ports[random() % ports.length];
      if (random() % 2 === 0) {
        const up = !(this.#up.get(port) ?? false);
        this.#up.set(port, up);
        groups[group].push(`link set ${port} ${up ? "up" : "down"}`);
      } else {
        const now = this.#mtu.get(port) ?? 0;
        const mtu = (now + 1 + random() % (MTUS.length - 1)) % MTUS.length;
        this.#mtu.set(port, mtu);
        groups[group].push(`link set ${port} mtu ${MTUS[mtu]}`);
      }
    }
    return groups;
  }
}

/** When a storm's batches started and when the last `ip` exited. */
export interface StormTimes {
  /** `performance.now()` when the first line was written. */
  startedAt: number;
  /** `performance.now()` when every `ip -batch` had exited (kernel done). */
  doneAt: number;
}

/**
 * Runs one `ip -n <ns> -batch -` per group, all started before the clock
 * starts, and feeds them their lines: all at once for `max`, else paced so
 * that together they offer `rate` changes per second (each its share, in
 * 5 ms steps). Rejects with `ip`'s error when one fails.
 */
export async function runBatches(
  ns: Netns,
  groups: readonly string[][],
  options: { rate: OfferedRate },
): Promise<StormTimes> {
  const children = groups.map(() =>
    new Deno.Command("ip", {
      args: ["-n", ns.name, "-batch", "-"],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn()
  );
  const startedAt = performance.now();
  const share = options.rate === "max"
    ? Infinity
    : options.rate / groups.length;
  const feeds = children.map((child, index) =>
    feed(child, groups[index], { perSecond: share, startedAt })
  );
  const outputs = await Promise.all(
    children.map(async (child, index) => {
      await feeds[index];
      return await child.output();
    }),
  );
  const doneAt = performance.now();
  for (const [index, output] of outputs.entries()) {
    if (!output.success) {
      const stderr = new TextDecoder().decode(output.stderr).trim();
      throw new Error(`ip -batch (storm group ${index}) failed: ${stderr}`);
    }
  }
  return { startedAt, doneAt };
}

async function feed(
  child: Deno.ChildProcess,
  lines: readonly string[],
  pace: { perSecond: number; startedAt: number },
): Promise<void> {
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  try {
    let sent = 0;
    while (sent < lines.length) {
      const elapsed = (performance.now() - pace.startedAt) / 1000;
      const due = Math.min(
        lines.length,
        Math.max(sent + 1, Math.floor(elapsed * pace.perSecond)),
      );
      await writer.write(
        encoder.encode(lines.slice(sent, due).join("\n") + "\n"),
      );
      sent = due;
      if (sent < lines.length) {
        const next = pace.startedAt + (sent + 1) / pace.perSecond * 1000;
        await delay(Math.max(1, Math.min(5, next - performance.now())));
      }
    }
  } finally {
    await writer.close().catch(() => {});
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Watches every STATE_DB write (keyevent notifications of HSET and DEL on
 * database 6, which the harness turns on) and remembers when the last
 * `PORT_TABLE|*` write arrived and how many there were.
 */
export class WriteWatcher {
  readonly #connection: RespConnection;
  /** `performance.now()` of the last port write seen (0 before any). */
  lastAt = 0;
  /** Port writes seen so far. */
  count = 0;

  private constructor(connection: RespConnection) {
    this.#connection = connection;
  }

  /** Subscribes on the Redis at `socketPath`. */
  static async open(socketPath: string): Promise<WriteWatcher> {
    const connection = await RespConnection.connect(socketPath);
    const watcher = new WriteWatcher(connection);
    try {
      await connection.subscribe(
        ["__keyevent@6__:hset", "__keyevent@6__:del"],
        (message) => {
          if (!message.message.startsWith("PORT_TABLE|")) return;
          watcher.count++;
          watcher.lastAt = message.at;
        },
      );
      return watcher;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Unsubscribes. */
  close(): Promise<void> {
    return this.#connection.close();
  }
}

/** How a storm ended. */
export interface Convergence {
  /** The last comparison made. */
  comparison: StateComparison;
  /**
   * `performance.now()` at which STATE_DB became equal to the kernel: the
   * later of the last port write and the kernel's last change; null when it
   * never did.
   */
  convergedAt: number | null;
  /** Comparisons made. */
  checks: number;
}

/**
 * Waits until no port write came for `quietMs` after the kernel was done,
 * then compares STATE_DB with the kernel; again after the next quiet spell
 * while they differ, until `timeoutMs`. `beforeCheck` runs right before
 * each comparison (the harness reads CPU times there, so the comparison's
 * own Redis reads are not counted).
 */
export async function awaitConvergence(
  ns: Netns,
  state: Database,
  options: {
    watcher: WriteWatcher;
    kernelDoneAt: number;
    quietMs: number;
    timeoutMs: number;
    beforeCheck: () => Promise<void>;
  },
): Promise<Convergence> {
  const deadline = performance.now() + options.timeoutMs;
  let checks = 0;
  let comparison: StateComparison | null = null;
  while (true) {
    const settled = Math.max(options.watcher.lastAt, options.kernelDoneAt);
    const wait = settled + options.quietMs - performance.now();
    if (wait > 0 && performance.now() + wait < deadline) {
      await delay(Math.min(wait, 20));
      continue;
    }
    const lastWrite = options.watcher.lastAt;
    await options.beforeCheck();
    comparison = await compareState(ns, state);
    checks++;
    if (comparison.equal) {
      return {
        comparison,
        convergedAt: Math.max(lastWrite, options.kernelDoneAt),
        checks,
      };
    }
    if (performance.now() >= deadline) {
      return { comparison, convergedAt: null, checks };
    }
    await delay(options.quietMs);
  }
}
