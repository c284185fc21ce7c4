/**
 * Storms: link changes from parallel `ip -batch` processes at an offered
 * rate, and the wait for STATE_DB to equal the kernel afterwards.
 * @module
 */

import type { Database } from "../../src/store/types.ts";
import type { Netns } from "../../tests/helpers/netns.ts";
import {
  compareState,
  compareWith,
  kernelPorts,
  type StateComparison,
} from "./state.ts";

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
  readonly #adminOnly: boolean;
  #seed = 1;

  /**
   * Ports start admin down with MTU 1500 (a new veth's state). Lines are
   * admin flips and MTU changes half and half, or admin flips only with
   * `adminOnly` (the C++ comparison's storms).
   */
  constructor(ports: readonly string[], options: { adminOnly?: boolean } = {}) {
    if (ports.length === 0) throw new Error("a storm needs at least one port");
    this.#ports = ports;
    this.#adminOnly = options.adminOnly ?? false;
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
      if (this.#adminOnly || random() % 2 === 0) {
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

/** How a storm ended. */
export interface Convergence {
  /**
   * `performance.now()` of the first read of STATE_DB that equalled the
   * kernel after the kernel was done; null when none did in time.
   */
  convergedAt: number | null;
  /**
   * CPU times (ms) of the daemon and Redis once the daemon was idle again
   * (its CPU time unchanged for `idleMs`), read before the final check.
   */
  cpuAfter: { daemon: number; redis: number };
  /** The final check, made once the daemon was idle. */
  comparison: StateComparison;
  /** STATE_DB reads made while waiting. */
  polls: number;
}

/** Options of {@linkcode awaitConvergence}. */
export interface ConvergenceOptions {
  /** Reads the daemon's and Redis's CPU times, ms (idle detection too). */
  cpu: () => Promise<{ daemon: number; redis: number }>;
  /** Poll STATE_DB this often, ms. */
  pollMs: number;
  /** The daemon counts as idle once its CPU time is unchanged this long. */
  idleMs: number;
  /** Give up waiting for equality after this long, ms. */
  timeoutMs: number;
}

/**
 * After a storm (the kernel done): reads the kernel's state once, then
 * STATE_DB every `pollMs` until it equals it (the convergence time);
 * then waits until the daemon is idle, reads the CPU times, and compares
 * STATE_DB with a fresh read of the kernel (the correctness check: no late
 * write may have undone the match). Only the harness's own HGETALLs touch
 * Redis meanwhile, about one per port per poll.
 */
export async function awaitConvergence(
  ns: Netns,
  state: Database,
  options: ConvergenceOptions,
): Promise<Convergence> {
  const kernel = await kernelPorts(ns);
  const deadline = performance.now() + options.timeoutMs;
  let convergedAt: number | null = null;
  let polls = 0;
  while (performance.now() < deadline) {
    const at = performance.now();
    polls++;
    if ((await compareWith(kernel, state)).equal) {
      convergedAt = at;
      break;
    }
    await delay(options.pollMs);
  }
  const cpuAfter = await idleCpu(options);
  return {
    convergedAt,
    cpuAfter,
    comparison: await compareState(ns, state),
    polls,
  };
}

/** CPU times once the daemon's has not moved for `idleMs` (or 10 s passed). */
async function idleCpu(
  options: ConvergenceOptions,
): Promise<{ daemon: number; redis: number }> {
  const deadline = performance.now() + 10_000;
  let last = await options.cpu();
  let since = performance.now();
  while (performance.now() < deadline) {
    await delay(Math.min(20, options.idleMs));
    const now = await options.cpu();
    if (now.daemon !== last.daemon) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= options.idleMs) {
      return last;
    }
  }
  return last;
}
