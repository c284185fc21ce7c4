/**
 * Measures portsyncd's end-to-end latency for one change at a time: the
 * kernel's RTM_NEWLINK (seen on a link socket of our own in the daemon's
 * namespace, which gets the same multicast at the same moment) to STATE_DB's
 * keyspace notification for the port. Used by `tools/latency.ts` and
 * `tools/soak_daemon.ts`.
 * @module
 */

import { createClient } from "redis";
import { LinkSocket } from "../src/netlink/socket.ts";
import type { Netns } from "../tests/helpers/netns.ts";

/** Percentiles of a set of samples, in microseconds. */
export interface LatencyFigures {
  samples: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
  max_us: number;
}

/** The value at quantile `p` of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** A probe on one port; `close()` it when done. */
export class LatencyProbe {
  readonly #subscriber: ReturnType<typeof createClient>;
  readonly #ns: Netns;
  readonly #port: string;
  #notified: (() => void) | null = null;
  #notifiedAt = 0;
  #round = 0;

  private constructor(
    ns: Netns,
    port: string,
    subscriber: ReturnType<typeof createClient>,
  ) {
    this.#ns = ns;
    this.#port = port;
    this.#subscriber = subscriber;
  }

  /**
   * Subscribes to STATE_DB (database 6) keyspace notifications of `port`
   * on the Redis at `socketPath` (turning them on with CONFIG SET).
   */
  static async open(
    ns: Netns,
    options: { socketPath: string; port: string },
  ): Promise<LatencyProbe> {
    const subscriber = createClient({
      socket: { path: options.socketPath, tls: false },
    });
    await subscriber.connect();
    await subscriber.configSet("notify-keyspace-events", "Kh");
    const probe = new LatencyProbe(ns, options.port, subscriber);
    await subscriber.subscribe(
      `__keyspace@6__:PORT_TABLE|${options.port}`,
      () => {
        probe.#notifiedAt = performance.now();
        probe.#notified?.();
      },
    );
    return probe;
  }

  /**
   * Changes the port's MTU `count` times, one at a time; returns
   * percentiles. The link socket is opened for the measurement only, so a
   * storm between measurements cannot overflow it.
   */
  async measure(count: number): Promise<LatencyFigures> {
    const socket = LinkSocket.open({ netns: this.#ns.name });
    try {
      return await this.#measure(socket, count);
    } finally {
      socket.close();
    }
  }

  async #measure(socket: LinkSocket, count: number): Promise<LatencyFigures> {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      this.#round++;
      const mtu = 2000 + (this.#round % 2) * 1000 + (this.#round % 7);
      const written = new Promise<void>((resolve) => this.#notified = resolve);
      // The receive is waiting before the change is made, so the kernel's
      // message is timestamped when it arrives, not after `ip` exits.
      const seen = this.#kernelMessage(socket, mtu);
      await this.#ns.ip("link", "set", this.#port, "mtu", String(mtu));
      const kernelAt = await seen;
      await written;
      samples.push(Math.max(0, this.#notifiedAt - kernelAt));
    }
    samples.sort((a, b) => a - b);
    const us = (ms: number) => Math.round(ms * 1000);
    return {
      samples: samples.length,
      p50_us: us(percentile(samples, 0.5)),
      p95_us: us(percentile(samples, 0.95)),
      p99_us: us(percentile(samples, 0.99)),
      max_us: us(samples[samples.length - 1]),
    };
  }

  async #kernelMessage(socket: LinkSocket, mtu: number): Promise<number> {
    while (true) {
      for (const notice of await socket.receive()) {
        if (
          notice.kind === "link" && notice.event.name === this.#port &&
          notice.event.mtu === mtu
        ) return performance.now();
      }
    }
  }

  /** Closes the keyspace subscriber. */
  async close(): Promise<void> {
    await this.#subscriber.quit().catch(() => {});
  }
}

/** VmRSS of a process, in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]);
  return Math.round(kb / 1024 * 10) / 10;
}
