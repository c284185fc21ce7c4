/**
 * The engine observer that feeds {@linkcode WarmRestartMetrics}: warm or
 * cold from the `started` report, the start-up dump's request and end
 * (EOIU), a timer that counts an EOIU timeout on time even when no event
 * arrives, and, on a warm start, the comparison of the saved port states
 * with what the start-up dump found.
 * @module
 */

import type { LinkEvent } from "../netlink/types.ts";
import type { Logger } from "../log/mod.ts";
import type { SyncObserver } from "../sync/observer.ts";
import type { WarmRestartMetrics } from "./metrics.ts";
import { compareSaved, type SavedPort } from "./port_state.ts";

/** Options of {@linkcode WarmRestartObserver}. */
export interface WarmRestartObserverOptions {
  /** The kernel's ports as the engine last heard them (`PortSync.links`). */
  links: () => ReadonlyMap<string, LinkEvent>;
  /** The port states saved by the previous run, or null when there are none. */
  saved: readonly SavedPort[] | null;
  /** Logger. */
  log: Logger;
  /** Milliseconds of a monotonic clock (default `performance.now`). */
  clock?: () => number;
  /**
   * Arm a real timer for the EOIU deadline (default true). Without it the
   * owner calls {@linkcode WarmRestartObserver.tick} (tests with an
   * injected clock do).
   */
  timer?: boolean;
  /** Called after the start-up dump ended (EOIU) and was counted. */
  onEoiu?: () => void;
}

/**
 * Watches the engine for warm restart. Register it with `sync.observe`
 * before `sync.start()`, so the start-up is seen; `close()` clears its timer.
 *
 * @example
 * ```ts
 * import { WarmRestartMetrics } from "./metrics.ts";
 * import { WarmRestartObserver } from "./observer.ts";
 * import type { Logger } from "../log/mod.ts";
 * import type { PortSync } from "../sync/port_sync.ts";
 * declare const sync: PortSync;
 * declare const log: Logger;
 * const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 30_000 });
 * const observer = new WarmRestartObserver(metrics, { links: () => sync.links, saved: null, log });
 * sync.observe(observer);
 * ```
 */
export class WarmRestartObserver implements SyncObserver {
  readonly #metrics: WarmRestartMetrics;
  readonly #links: () => ReadonlyMap<string, LinkEvent>;
  readonly #saved: readonly SavedPort[] | null;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #useTimer: boolean;
  readonly #onEoiu: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** Creates the observer of `metrics`. */
  constructor(
    metrics: WarmRestartMetrics,
    options: WarmRestartObserverOptions,
  ) {
    this.#metrics = metrics;
    this.#links = options.links;
    this.#saved = options.saved;
    this.#log = options.log;
    this.#clock = options.clock ?? (() => performance.now());
    this.#useTimer = options.timer ?? true;
    this.#onEoiu = options.onEoiu;
  }

  /** A dump was requested: the first one starts the EOIU clock. */
  dumpRequested(_reason: string): void {
    this.#metrics.startupDumpRequested(this.#clock());
    this.#arm();
  }

  /** The start-up was done: counts a warm restart or a cold start. */
  started(info: { warm: boolean; configured: number }): void {
    this.#metrics.started(info.warm, this.#clock());
    this.#arm();
  }

  /** A dump completed: the first one is the start-up dump's end (EOIU). */
  dumpCompleted(ports: number): void {
    if (!this.#metrics.dumpCompleted(this.#clock())) return;
    this.#disarm();
    const counters = this.#metrics.counters;
    this.#log.info("start-up link dump complete (EOIU)", {
      start: this.#metrics.startKind ?? "unknown",
      ports,
      initial_sync_ms: Number(counters.initial_sync_ms_last!.toFixed(1)),
    });
    if (this.#metrics.startKind === "warm") this.#recover();
    this.#onEoiu?.();
  }

  /**
   * Checks the EOIU deadline at `now` (default: the clock); counts and logs
   * a timeout once. The timer calls it; so may the owner.
   */
  tick(now: number = this.#clock()): void {
    if (!this.#metrics.tick(now)) return;
    this.#log.warn(
      "start-up link dump not complete in time (EOIU timeout); still waiting",
      { eoiu_timeout_ms: this.#metrics.eoiuTimeoutMs },
    );
  }

  /** Clears the timer; the observer arms none after this. */
  close(): void {
    this.#closed = true;
    this.#disarm();
  }

  #recover(): void {
    if (this.#saved === null) {
      this.#log.info("warm start without saved port states; none compared");
      return;
    }
    const result = compareSaved(this.#saved, this.#links());
    this.#metrics.recordRecoveries(result);
    this.#log.info("warm start: saved port states compared", {
      compared: result.compared,
      recovered: result.matched,
      changed: result.changed.slice(0, 16).join(",") +
        (result.changed.length > 16 ? ",…" : ""),
    });
  }

  #arm(): void {
    if (!this.#useTimer || this.#closed || this.#timer !== undefined) return;
    const deadline = this.#metrics.eoiuDeadline;
    if (deadline === null) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.tick(Math.max(this.#clock(), deadline));
    }, Math.max(0, deadline - this.#clock()));
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
