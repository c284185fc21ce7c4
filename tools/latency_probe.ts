/**
 * Measures portsyncd's end-to-end latency for one change at a time, from
 * outside the daemon: the probe changes a port's MTU with an RTM_SETLINK
 * request on a netlink socket of its own in the daemon's namespace (no `ip`
 * process), sees the kernel's RTM_NEWLINK on a link socket of its own there
 * (the same multicast the daemon gets, at the same moment), and takes the
 * time of STATE_DB's keyspace notification for the port from a node-redis
 * subscriber. Used by `tools/latency.ts`, `tools/soak_daemon.ts` and the
 * load harness (`tools/load/`).
 *
 * Two spans per change. `request → notification` is the headline figure:
 * it starts when `sendto` of the request returns, by which time the kernel
 * has already queued the RTM_NEWLINK to every listener (rtnetlink handles a
 * request inside the sender's system call), so it holds the daemon's whole
 * path including its wake-up. `kernel → notification` starts when our own
 * link socket delivered the RTM_NEWLINK: our socket wakes up in parallel
 * with the daemon's, so that span leaves out most of the daemon's wake-up
 * and reads low.
 * @module
 */

import { LinkSocket } from "../src/netlink/socket.ts";
import type { Netns } from "../tests/helpers/netns.ts";
import { LinkRequestSocket } from "./load/link_request.ts";
import { createClient, type RedisClientType } from "@redis/client";

type Subscriber = RedisClientType;

/** Percentiles of a set of samples, in microseconds. */
export interface LatencyFigures {
  samples: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
  max_us: number;
}

/** Raw spans of the changes measured, in milliseconds. */
export interface LatencySamples {
  /** Kernel RTM_NEWLINK (as our link socket saw it) → keyspace notification. */
  kernel: number[];
  /** Request sent (`sendto` returned) → keyspace notification. */
  request: number[];
  /** Changes whose RTM_NEWLINK our own socket lost (it overflowed). */
  lost: number;
}

/** Options of {@linkcode LatencyProbe.sample}. */
export interface SampleOptions {
  /** Most changes to make. */
  count: number;
  /** Stop early once this aborts (the change in flight completes). */
  signal?: AbortSignal;
  /** Give up at once when this aborts (the change in flight fails). */
  cancel?: AbortSignal;
  /** Wait this long between changes (default 0: back to back). */
  gapMs?: number;
  /** Longest wait for one change's kernel message or notification (5000 ms). */
  timeoutMs?: number;
}

/** The value at quantile `p` of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/**
 * Percentiles (µs) of spans given in ms; all zero when there are none.
 *
 * @example
 * ```ts
 * import { figures } from "./latency_probe.ts";
 * figures([0.1, 0.2, 0.3]).p50_us; // 200
 * ```
 */
export function figures(spansMs: readonly number[]): LatencyFigures {
  const sorted = [...spansMs].sort((a, b) => a - b);
  const us = (ms: number | undefined) => Math.round((ms ?? 0) * 1000);
  return {
    samples: sorted.length,
    p50_us: us(percentile(sorted, 0.5)),
    p95_us: us(percentile(sorted, 0.95)),
    p99_us: us(percentile(sorted, 0.99)),
    max_us: us(sorted[sorted.length - 1]),
  };
}

/** A probe on one port; `close()` it when done. */
export class LatencyProbe {
  readonly #subscriber: Subscriber;
  readonly #ns: Netns;
  readonly #port: string;
  readonly #receiveBufferBytes: number | undefined;
  #notified: (() => void) | null = null;
  #notifiedAt = 0;
  #round = 0;

  private constructor(
    ns: Netns,
    options: { port: string; receiveBufferBytes?: number },
    subscriber: Subscriber,
  ) {
    this.#ns = ns;
    this.#port = options.port;
    this.#receiveBufferBytes = options.receiveBufferBytes;
    this.#subscriber = subscriber;
  }

  /**
   * Subscribes to STATE_DB (database 6) keyspace notifications of `port`
   * on the Redis at `socketPath`. Keyspace notifications of hashes must be
   * on (`notify-keyspace-events` with `K` and `h`); `open` adds them to what
   * the server already has. `receiveBufferBytes` sizes the probe's own link
   * socket (default: LinkSocket's 8 MiB); make it large when storms run
   * while the probe measures.
   */
  static async open(
    ns: Netns,
    options: { socketPath: string; port: string; receiveBufferBytes?: number },
  ): Promise<LatencyProbe> {
    const subscriber = createClient({
      socket: { path: options.socketPath, tls: false },
    });
    try {
      await subscriber.connect();
      const reply = await subscriber.configGet("notify-keyspace-events");
      const current = String(
        (reply as Record<string, string>)["notify-keyspace-events"] ?? "",
      );
      const wanted = [...new Set([...current, "K", "h"])].join("");
      await subscriber.configSet("notify-keyspace-events", wanted);
      const probe = new LatencyProbe(ns, options, subscriber);
      // Stamped in the listener: the client's parsing is counted, so the
      // span is, if anything, a little long.
      await subscriber.subscribe(
        `__keyspace@6__:PORT_TABLE|${options.port}`,
        () => {
          probe.#notifiedAt = performance.now();
          probe.#notified?.();
        },
      );
      return probe;
    } catch (error) {
      subscriber.destroy();
      throw error;
    }
  }

  /**
   * Changes the port's MTU `count` times, one at a time (each waits for its
   * STATE_DB write); returns the kernel → notification percentiles.
   */
  async measure(count: number): Promise<LatencyFigures> {
    const samples = await this.sample({ count });
    return figures(samples.kernel);
  }

  /**
   * Changes the port's MTU up to `options.count` times, one at a time, and
   * returns the raw spans. The link socket is opened for the measurement
   * only, so a storm between measurements cannot overflow it.
   */
  async sample(options: SampleOptions): Promise<LatencySamples> {
    const socket = LinkSocket.open({
      netns: this.#ns.name,
      receiveBufferBytes: this.#receiveBufferBytes,
    });
    const requests = LinkRequestSocket.open({ netns: this.#ns.name });
    const samples: LatencySamples = { kernel: [], request: [], lost: 0 };
    try {
      for (let i = 0; i < options.count; i++) {
        if (options.signal?.aborted) break;
        await this.#one(socket, requests, samples, {
          timeoutMs: options.timeoutMs ?? 5000,
          cancel: options.cancel,
        });
        if ((options.gapMs ?? 0) > 0) await delay(options.gapMs!);
      }
      return samples;
    } finally {
      requests.close();
      socket.close();
    }
  }

  async #one(
    socket: LinkSocket,
    requests: LinkRequestSocket,
    samples: LatencySamples,
    options: { timeoutMs: number; cancel?: AbortSignal },
  ): Promise<void> {
    this.#round++;
    const mtu = 2000 + (this.#round % 2) * 1000 + (this.#round % 7);
    const change = { name: this.#port, mtu };
    const written = new Promise<void>((resolve) => this.#notified = resolve);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
    const cancel = () => deadline.abort();
    options.cancel?.addEventListener("abort", cancel, { once: true });
    if (options.cancel?.aborted) deadline.abort();
    try {
      // The receive is waiting before the request goes out, so the kernel's
      // message is timestamped when it arrives.
      const seen = this.#kernelMessage(socket, mtu, deadline.signal);
      seen.catch(() => {}); // awaited below; handled if the send throws
      const seq = requests.send(change);
      const sentAt = performance.now();
      const kernelAt = await seen;
      await Promise.race([
        written,
        rejectOnAbort(deadline.signal, mtu, this.#port),
      ]);
      requests.ack(seq, change);
      if (kernelAt === null) {
        samples.lost++;
      } else {
        samples.kernel.push(Math.max(0, this.#notifiedAt - kernelAt));
      }
      samples.request.push(Math.max(0, this.#notifiedAt - sentAt));
    } finally {
      clearTimeout(timer);
      options.cancel?.removeEventListener("abort", cancel);
      this.#notified = null;
    }
  }

  /** The arrival time of the port's RTM_NEWLINK, or null when we lost it. */
  async #kernelMessage(
    socket: LinkSocket,
    mtu: number,
    deadline: AbortSignal,
  ): Promise<number | null> {
    while (!deadline.aborted && !socket.closed) {
      for (const notice of await socket.receive({ signal: deadline })) {
        if (notice.kind === "overflow") return null;
        if (
          notice.kind === "link" && notice.event.name === this.#port &&
          notice.event.mtu === mtu
        ) return performance.now();
      }
    }
    throw new Error(`no RTM_NEWLINK for ${this.#port} (mtu ${mtu})`);
  }

  /** Closes the keyspace subscriber. */
  async close(): Promise<void> {
    await this.#subscriber.quit().catch(() => {});
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects when `signal` aborts (never settles otherwise). */
function rejectOnAbort(
  signal: AbortSignal,
  mtu: number,
  port: string,
): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () =>
      reject(
        new Error(
          `no STATE_DB notification for PORT_TABLE|${port} (mtu ${mtu})`,
        ),
      );
    if (signal.aborted) fail();
    signal.addEventListener("abort", fail, { once: true });
  });
}

/** VmRSS of a process, in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]);
  return Math.round(kb / 1024 * 10) / 10;
}
