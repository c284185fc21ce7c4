/**
 * Engine soak: drives the real `SyncLoop` and `PortSync` over the memory
 * store with a link source that hands out one batch per receive (resolved
 * on a later macrotask, as the socket's are), every port in APPL_DB (a
 * switch's steady state). Forces GC at checkpoints and prints one JSON line
 * of figures: live heap after warm-up and at the end, and its growth.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc tools/soak_engine.ts --events 1000000
 * ```
 * @module
 */

import { setImmediate } from "node:timers";
import { parseArgs } from "node:util";
import { parseDbConfig } from "../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../src/config/settings.ts";
import { createLogger } from "../src/log/mod.ts";
import type { LinkEvent, NetlinkNotice } from "../src/netlink/types.ts";
import { MemoryStore } from "../src/store/memory_store.ts";
import { type LinkSource, SyncLoop } from "../src/sync/loop.ts";
import { PortSync } from "../src/sync/port_sync.ts";
import { link } from "../tests/sync/links.ts";

/** Figures of one soak run. */
export interface EngineSoakFigures {
  events: number;
  batch: number;
  ports: number;
  /** Live heap (bytes, after a forced GC) once warm-up ended. */
  heapAfterWarmup: number;
  /** Live heap (bytes, after a forced GC) after the last change, loop still running. */
  heapAtEnd: number;
  /** (end - warm-up) / warm-up, in percent. */
  heapGrowthPercent: number;
  /** STATE_DB writes made (a sanity check that the engine did work). */
  stateWrites: number;
  eventsPerSecond: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function liveHeap(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

/** Hands out `total` events in batches, one batch per `receive`. */
class SteadySource implements LinkSource {
  #sent = 0;
  #done: () => void;
  #checkpoint: (sent: number) => void;
  #checkpointAt: number;
  readonly #total: number;
  readonly #batch: number;
  readonly #ports: string[];

  constructor(options: {
    total: number;
    batch: number;
    ports: string[];
    checkpointAt: number;
    onCheckpoint: (sent: number) => void;
    onDone: () => void;
  }) {
    this.#total = options.total;
    this.#batch = options.batch;
    this.#ports = options.ports;
    this.#checkpointAt = options.checkpointAt;
    this.#checkpoint = options.onCheckpoint;
    this.#done = options.onDone;
  }

  requestDump(): number {
    return 1;
  }

  receive(options: { signal?: AbortSignal } = {}): Promise<NetlinkNotice[]> {
    return new Promise((resolve) => {
      setImmediate(() => {
        if (this.#sent >= this.#checkpointAt) {
          // Measured while the loop still runs: what it holds now is what
          // a daemon would hold after this many changes.
          this.#checkpoint(this.#sent);
          this.#checkpointAt = this.#sent === this.#total
            ? Infinity
            : this.#total;
        }
        if (options.signal?.aborted || this.#sent >= this.#total) {
          this.#done();
          resolve([]);
          return;
        }
        const notices: NetlinkNotice[] = [];
        for (let i = 0; i < this.#batch; i++) {
          const n = this.#sent++;
          notices.push({ kind: "link", event: this.#event(n), seq: 0 });
        }
        resolve(notices);
      });
    });
  }

  #event(n: number): LinkEvent {
    const index = n % this.#ports.length;
    const up = Math.floor(n / this.#ports.length) % 2 === 0;
    return link(this.#ports[index], {
      oper: up ? "up" : "down",
      ifindex: 100 + index,
    });
  }
}

/**
 * Runs the soak and returns its figures.
 *
 * @example
 * ```ts ignore
 * const figures = await soakEngine({ events: 200_000 });
 * ```
 */
export async function soakEngine(
  options: { events: number; batch?: number; ports?: number },
): Promise<EngineSoakFigures> {
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  const batch = options.batch ?? 4;
  const portCount = options.ports ?? 32;
  const ports = Array.from({ length: portCount }, (_, i) => `Ethernet${i * 4}`);
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "soak" }),
  );
  await store.db("APPL_DB").batch(ports.map((port) => ({
    op: "hset",
    key: `PORT_TABLE:${port}`,
    fields: { lanes: "0" },
  })));
  const log = createLogger("error");
  const controller = new AbortController();
  let heapAfterWarmup = 0;
  let heapAtEnd = 0;
  const source = new SteadySource({
    total: options.events,
    batch,
    ports,
    checkpointAt: Math.floor(options.events / 10),
    onCheckpoint: (sent) => {
      if (sent < options.events) heapAfterWarmup = liveHeap();
      else heapAtEnd = liveHeap();
    },
    onDone: () => controller.abort(),
  });
  const sync = new PortSync(store, { links: source, log });
  const loop = new SyncLoop(sync, { links: source, log });
  const started = performance.now();
  await loop.run(controller.signal);
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return {
    events: options.events,
    batch,
    ports: portCount,
    heapAfterWarmup,
    heapAtEnd,
    heapGrowthPercent: Math.round(
      (heapAtEnd - heapAfterWarmup) / heapAfterWarmup * 1000,
    ) / 10,
    stateWrites: sync.counters.stateWrites,
    eventsPerSecond: Math.round(options.events / seconds),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      events: { type: "string", default: "1000000" },
      batch: { type: "string", default: "4" },
      ports: { type: "string", default: "32" },
    },
  });
  const figures = await soakEngine({
    events: Number(values.events),
    batch: Number(values.batch),
    ports: Number(values.ports),
  });
  console.log(JSON.stringify(figures));
}
