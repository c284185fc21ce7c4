/**
 * The one seam through which other components (metrics, health, warm
 * restart, alerting, systemd) watch the engine: `PortSync` and `SyncLoop`
 * report what happens to registered observers, in registration order. An
 * observer implements only the methods it needs; one that throws is logged
 * and does not stop the others or the loop. Observers must be cheap (they
 * run on the event path): count, stamp, and do real work on their own timer.
 * @module
 */

import type { LinkEvent } from "../netlink/types.ts";
import type { Logger } from "../log/mod.ts";

/** A drained batch, handled. */
export interface BatchInfo {
  /** Link messages in the batch (dump replies included). */
  messages: number;
  /** `performance.now()` when the batch was read from the socket. */
  receivedAt: number;
  /**
   * `performance.now()` when the store acknowledged the batch's writes (or
   * when handling ended, for a batch that wrote nothing).
   */
  ackedAt: number;
  /** STATE_DB writes (HSET and DEL) the batch made. */
  writes: number;
}

/** A full reconcile of STATE_DB with the kernel, done. */
export interface ReconcileInfo {
  /** `dump` after a completed link dump, `repair` after a failed write. */
  kind: "dump" | "repair";
  /** Ports the kernel has. */
  ports: number;
  /** Writes the reconcile made. */
  writes: number;
}

/** What the engine reports. Every method is optional. */
export interface SyncObserver {
  /** A batch of link messages was handled and its writes acknowledged. */
  batchHandled?(info: BatchInfo): void;
  /**
   * A port's link as the engine now sees it: once per port per batch after
   * coalescing (even when nothing observable changed: compare yourself),
   * and after a dump for every port it found different or gone. `link` is
   * the new state, or null when the port was deleted.
   */
  portChanged?(port: string, link: LinkEvent | null): void;
  /** The kernel reported dropped link messages. */
  overflow?(): void;
  /** A full link dump was requested (`reason` says why). */
  dumpRequested?(reason: string): void;
  /** The requested dump completed (NLMSG_DONE); `ports` the kernel has. */
  dumpCompleted?(ports: number): void;
  /** STATE_DB was reconciled with the kernel. */
  reconciled?(info: ReconcileInfo): void;
  /** The start-up publish and PortConfigDone are done (and the first dump asked for). */
  started?(info: { warm: boolean; configured: number }): void;
  /** PortInitDone was published. */
  initDone?(): void;
  /** A store connection came back (the loop then resyncs). */
  storeReconnected?(database: string): void;
  /** A store operation failed; STATE_DB will be repaired. */
  storeFailed?(error: Error): void;
  /** Another client's change to STATE_DB was found and rewritten. */
  stateRepaired?(ports: number): void;
  /** A port waiting for APPL_DB had its APPL_DB entry touched (check again). */
  applChanged?(port: string): void;
}

/** The observers of one engine, called in order, each isolated. */
export class Observers {
  readonly #list: SyncObserver[] = [];
  readonly #log: Logger;

  /** Creates an empty list; failures of observers go to `log`. */
  constructor(log: Logger) {
    this.#log = log;
  }

  /** Adds an observer; returns a function that removes it. */
  add(observer: SyncObserver): () => void {
    this.#list.push(observer);
    return () => {
      const index = this.#list.indexOf(observer);
      if (index >= 0) this.#list.splice(index, 1);
    };
  }

  /** True when nobody listens (lets the hot path skip building reports). */
  get empty(): boolean {
    return this.#list.length === 0;
  }

  /**
   * Calls `method` of every observer that has it, with `args`. An observer
   * that throws is logged (with the method) and the others still run.
   */
  emit<K extends keyof SyncObserver>(
    method: K,
    ...args: Parameters<NonNullable<SyncObserver[K]>>
  ): void {
    for (const observer of this.#list) {
      const handler = observer[method] as
        | ((...values: unknown[]) => void)
        | undefined;
      if (handler === undefined) continue;
      try {
        handler.apply(observer, args);
      } catch (error) {
        this.#log.error("observer failed", {
          method,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
}
