/**
 * The daemon's single event loop: every source (kernel link messages, store
 * reconnects, the APPL_DB re-check, the STATE_DB verify, a repair after a
 * refused write, shutdown) wakes the same loop, and the loop handles one
 * thing at a time, so no two writes race.
 *
 * Nothing here races promises: a wake-up is a fresh promise that the next
 * notification resolves, and the pending receive notifies when it ends. So
 * the loop holds a bounded number of promises however long it runs (racing a
 * long-lived promise would add a reaction to it on every turn).
 * @module
 */

import type { NetlinkNotice } from "../netlink/types.ts";
import type { Logger } from "../log/mod.ts";
import { type Store, StoreError } from "../store/types.ts";
import type { PortSync } from "./port_sync.ts";

/** The kernel side as the loop sees it (a `LinkSocket`, or a recorded trace). */
export interface LinkSource {
  /** Requests a full link dump; returns its sequence number. */
  requestDump(): number;
  /** Waits for and drains the next messages; `[]` once the signal aborts. */
  receive(options?: { signal?: AbortSignal }): Promise<NetlinkNotice[]>;
}

/** Wakes the loop: `notify()` resolves the pending `wait()`, or the next one. */
class Wakeup {
  #resolve: (() => void) | null = null;
  #notified = false;

  notify(): void {
    const resolve = this.#resolve;
    if (resolve === null) {
      this.#notified = true;
      return;
    }
    this.#resolve = null;
    resolve();
  }

  /** A fresh promise per wait, resolved by the next `notify()`. */
  wait(): Promise<void> {
    if (this.#notified) {
      this.#notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#resolve = resolve);
  }
}

/** Options of {@linkcode SyncLoop}. */
export interface SyncLoopOptions {
  /** Where link messages come from. */
  links: LinkSource;
  /** Logger. */
  log: Logger;
  /** Re-check period for ports waiting for APPL_DB, in ms (default 1000). */
  applRecheckMs?: number;
  /**
   * Period of the STATE_DB verify (hashes another client changed are
   * rewritten), in ms; 0 disables it. Default 2000.
   */
  verifyIntervalMs?: number;
  /** Backoff of the repair after a failed store operation (default 100 → 5000 ms). */
  retry?: { initialMs: number; maxMs: number };
}

/**
 * Runs the engine: receive a drained batch, hand it to the engine, repeat;
 * between batches, do what a wake-up asked for (a resync after a store
 * reconnect, the APPL_DB re-check, the STATE_DB verify). When the store
 * fails an operation (an error reply such as OOM or BUSY, a full backlog),
 * the loop logs it and repairs STATE_DB from the kernel's state after a
 * backoff, again and again until a repair succeeds.
 *
 * @example
 * ```ts
 * import type { PortSync } from "./port_sync.ts";
 * import type { LinkSocket } from "../netlink/socket.ts";
 * import type { Logger } from "../log/mod.ts";
 * import type { Store } from "../store/types.ts";
 * declare const sync: PortSync, socket: LinkSocket, store: Store, log: Logger;
 * const controller = new AbortController();
 * const loop = new SyncLoop(sync, { links: socket, log });
 * store.onReconnect(() => loop.requestResync("redis reconnect"));
 * await loop.run(controller.signal);
 * ```
 */
export class SyncLoop {
  readonly #sync: PortSync;
  readonly #links: LinkSource;
  readonly #log: Logger;
  readonly #recheckMs: number;
  readonly #verifyMs: number;
  readonly #retry: { initialMs: number; maxMs: number };
  readonly #wakeup = new Wakeup();
  #received: NetlinkNotice[] | null = null;
  #receivedAt = 0;
  #receiveError: unknown = null;
  #receiving: Promise<void> | null = null;
  #resyncReason: string | null = null;
  #lastRecheck = 0;
  #recheckDue = false;
  #verifyDue = false;
  #repairDue = false;
  #repairTimer: ReturnType<typeof setTimeout> | undefined;
  #retryMs: number;
  #failures = 0;

  /** Creates a loop around an engine. */
  constructor(sync: PortSync, options: SyncLoopOptions) {
    this.#sync = sync;
    this.#links = options.links;
    this.#log = options.log;
    this.#recheckMs = options.applRecheckMs ?? 1000;
    this.#verifyMs = options.verifyIntervalMs ?? 2000;
    this.#retry = options.retry ?? { initialMs: 100, maxMs: 5000 };
    this.#retryMs = this.#retry.initialMs;
    // A waiting port's APPL_DB entry appeared: check now, not at the period.
    sync.observe({
      applChanged: () => {
        this.#recheckDue = true;
        this.#wakeup.notify();
      },
    });
  }

  /** Asks for a full dump and reconcile, done by the loop between batches. */
  requestResync(reason: string): void {
    this.#resyncReason = reason;
    this.#wakeup.notify();
  }

  /**
   * Follows a store's reconnects: each is counted (`reconnects`), reported
   * to the engine's observers, and followed by a resync. Returns a function
   * that stops following.
   */
  followStore(store: Store): () => void {
    return store.onReconnect((database) => {
      this.#sync.counters.reconnects++;
      this.#sync.observers.emit("storeReconnected", database);
      this.requestResync("store reconnect");
    });
  }

  /** Link messages received and not yet handled (for the queue depth). */
  get inHand(): number {
    return this.#received?.length ?? 0;
  }

  /** True while a failed store operation waits for its repair. */
  get repairing(): boolean {
    return this.#failures > 0;
  }

  /** Runs until the signal aborts, then returns once the batch in hand is written. */
  async run(signal: AbortSignal): Promise<void> {
    const wake = () => this.#wakeup.notify();
    signal.addEventListener("abort", wake);
    const recheck = setInterval(() => {
      if (this.#sync.awaitingAppl > 0) this.#wakeup.notify();
    }, this.#recheckMs);
    const verify = this.#verifyMs > 0
      ? setInterval(() => {
        this.#verifyDue = true;
        this.#wakeup.notify();
      }, this.#verifyMs)
      : undefined;
    try {
      while (!signal.aborted) {
        if (this.#receiving === null && this.#received === null) {
          this.#receiving = this.#receive(signal);
        }
        await this.#wakeup.wait();
        await this.#step(signal);
      }
      if (this.#receiving !== null) await this.#receiving;
      await this.#step(signal);
    } finally {
      clearInterval(recheck);
      clearInterval(verify);
      clearTimeout(this.#repairTimer);
      signal.removeEventListener("abort", wake);
    }
  }

  /** One receive; its end (data or failure) is remembered and wakes the loop. */
  async #receive(signal: AbortSignal): Promise<void> {
    try {
      this.#received = await this.#links.receive({ signal });
      this.#receivedAt = performance.now();
    } catch (error) {
      this.#receiveError = error;
    }
    this.#receiving = null;
    this.#wakeup.notify();
  }

  async #step(signal: AbortSignal): Promise<void> {
    if (this.#receiveError !== null) throw this.#receiveError;
    const notices = this.#received;
    this.#received = null;
    try {
      if (notices !== null && notices.length > 0) {
        await this.#sync.handle(notices, { receivedAt: this.#receivedAt });
      }
      if (this.#resyncReason !== null) {
        const reason = this.#resyncReason;
        this.#resyncReason = null;
        this.#sync.requestResync(reason);
      }
      if (signal.aborted) return;
      if (this.#repairDue) {
        this.#repairDue = false;
        this.#verifyDue = false;
        await this.#sync.repair();
        this.#repaired();
      } else if (this.#verifyDue && this.#failures === 0) {
        this.#verifyDue = false;
        await this.#sync.verify();
      }
      const now = Date.now();
      if (
        this.#sync.awaitingAppl > 0 &&
        (this.#recheckDue || now - this.#lastRecheck >= this.#recheckMs)
      ) {
        this.#lastRecheck = now;
        this.#recheckDue = false;
        await this.#sync.recheckAppl();
      }
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      this.#failed(error);
    }
  }

  #failed(error: StoreError): void {
    this.#failures++;
    this.#sync.observers.emit("storeFailed", error);
    const retryMs = this.#retryMs;
    if (this.#repairTimer === undefined && !this.#repairDue) {
      this.#retryMs = Math.min(this.#retry.maxMs, this.#retryMs * 2);
      this.#repairTimer = setTimeout(() => {
        this.#repairTimer = undefined;
        this.#repairDue = true;
        this.#wakeup.notify();
      }, retryMs);
    }
    const fields = { error: error.message, retry_ms: retryMs };
    if (this.#failures === 1) {
      this.#log.error("store write failed; STATE_DB will be repaired", fields);
    } else {
      this.#log.warn("store write failed again", {
        ...fields,
        failures: this.#failures,
      });
    }
  }

  #repaired(): void {
    if (this.#failures === 0) return;
    this.#log.info("store writes succeed again; STATE_DB repaired", {
      failures: this.#failures,
    });
    this.#failures = 0;
    this.#retryMs = this.#retry.initialMs;
  }
}
