/**
 * The daemon's single event loop: every source (kernel link messages, store
 * reconnects, the APPL_DB re-check timer, shutdown) wakes the same loop, and
 * the loop handles one thing at a time, so no two writes race.
 * @module
 */

import type { NetlinkNotice } from "../netlink/types.ts";
import type { Logger } from "../log/mod.ts";
import { StoreError } from "../store/types.ts";
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
  #pending: PromiseWithResolvers<void> | null = null;
  #notified = false;

  notify(): void {
    if (this.#pending === null) {
      this.#notified = true;
      return;
    }
    this.#pending.resolve();
    this.#pending = null;
  }

  /** The same promise until it is resolved, so racing it again leaks nothing. */
  wait(): Promise<void> {
    if (this.#notified) {
      this.#notified = false;
      return Promise.resolve();
    }
    this.#pending ??= Promise.withResolvers<void>();
    return this.#pending.promise;
  }
}

/** Options of {@linkcode SyncLoop}. */
export interface SyncLoopOptions {
  /** Where link messages come from. */
  links: LinkSource;
  /** Logger. */
  log: Logger;
  /** Re-check period for ports waiting for APPL_DB, in milliseconds. */
  applRecheckMs?: number;
}

/**
 * Runs the engine: receive a drained batch, hand it to the engine, repeat;
 * between batches, do what a wake-up asked for (a resync after a store
 * reconnect, the APPL_DB re-check). A store error (e.g. a full backlog) is
 * logged; the resync after the store's reconnect repairs what it lost.
 *
 * @example
 * ```ts ignore
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
  readonly #wakeup = new Wakeup();
  #resyncReason: string | null = null;
  #lastRecheck = 0;

  /** Creates a loop around an engine. */
  constructor(sync: PortSync, options: SyncLoopOptions) {
    this.#sync = sync;
    this.#links = options.links;
    this.#log = options.log;
    this.#recheckMs = options.applRecheckMs ?? 1000;
  }

  /** Asks for a full dump and reconcile, done by the loop between batches. */
  requestResync(reason: string): void {
    this.#resyncReason = reason;
    this.#wakeup.notify();
  }

  /** Runs until the signal aborts, then returns once the batch in hand is written. */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = () => this.#wakeup.notify();
    signal.addEventListener("abort", onAbort);
    const timer = setInterval(() => {
      if (this.#sync.awaitingAppl > 0) this.#wakeup.notify();
    }, this.#recheckMs);
    let receiving: Promise<NetlinkNotice[]> | null = null;
    try {
      while (!signal.aborted) {
        receiving ??= this.#links.receive({ signal });
        const notices = await Promise.race([
          receiving,
          this.#wakeup.wait().then(() => null),
        ]);
        if (notices !== null) receiving = null;
        await this.#step(notices);
      }
    } finally {
      clearInterval(timer);
      signal.removeEventListener("abort", onAbort);
      if (receiving !== null) await receiving;
    }
  }

  async #step(notices: NetlinkNotice[] | null): Promise<void> {
    try {
      if (notices !== null) await this.#sync.handle(notices);
      if (this.#resyncReason !== null) {
        const reason = this.#resyncReason;
        this.#resyncReason = null;
        this.#sync.requestResync(reason);
      }
      const now = Date.now();
      if (
        this.#sync.awaitingAppl > 0 &&
        now - this.#lastRecheck >= this.#recheckMs
      ) {
        this.#lastRecheck = now;
        await this.#sync.recheckAppl();
      }
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      // Writes refused while Redis is away are reconciled by the resync
      // that follows the reconnect; resyncing now would only refill the queue.
      this.#log.error("store write failed", { error: error.message });
    }
  }
}
