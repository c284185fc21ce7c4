/**
 * WarmRestartMetrics (component 2 of `seed_architecture.md`): the counts of
 * warm restarts, cold starts, start-up dump ends (EOIU), EOIU timeouts,
 * recovered port states and corrupt state files, the initial-sync duration,
 * and the seed's health score. Pure: every method takes the time it
 * happened (`now`, in ms of any monotonic clock) and nothing here reads a
 * clock, a timer or a file.
 *
 * The health score is exactly the seed's:
 *
 * ```text
 * health_score = ((recovery_rate * 40) + (1 - restart_ratio) * 30
 *                 + (1 - corruption_rate) * 30) / 100
 * ```
 *
 * with the three rates defined from the counters (see
 * {@linkcode recoveryRate}, {@linkcode restartRatio},
 * {@linkcode corruptionRate}). Where a rate has no data (a zero
 * denominator) it takes the value that costs nothing: no data is not a
 * failure, so a fresh daemon scores 1.
 * @module
 */

/**
 * The counters, as the state file persists them and the metric registry
 * reads them. They accumulate over restarts (the state file carries them
 * from one run to the next).
 */
export interface WarmRestartCounters {
  /** Starts that were warm (STATE_DB warm-restart enabled, a previous `restore_count`). */
  warm_restarts: number;
  /** Starts that were cold. */
  cold_starts: number;
  /** Start-up link dumps that ended (NLMSG_DONE, "end of initial update"). */
  eoiu_detected: number;
  /** Start-up link dumps not ended within `eoiu_timeout_ms` of their request. */
  eoiu_timeouts: number;
  /**
   * Saved ports whose state (admin, oper, mtu, ifindex) the start-up dump
   * of a warm start found unchanged.
   */
  state_recoveries: number;
  /** Saved ports compared with the start-up dump of a warm start. */
  recovery_checks: number;
  /** State files (the file or its `.prev` copy) found unusable when read. */
  corruptions_detected: number;
  /** State files (the file or its `.prev` copy) read, usable or not. */
  state_reads: number;
  /** Initial-sync duration (start-up dump request → EOIU) of the last start, ms; null before any. */
  initial_sync_ms_last: number | null;
  /** Shortest initial-sync duration over all starts, ms; null before any. */
  initial_sync_ms_min: number | null;
  /** Longest initial-sync duration over all starts, ms; null before any. */
  initial_sync_ms_max: number | null;
}

/** The counters a daemon that never ran has. */
export function emptyCounters(): WarmRestartCounters {
  return {
    warm_restarts: 0,
    cold_starts: 0,
    eoiu_detected: 0,
    eoiu_timeouts: 0,
    state_recoveries: 0,
    recovery_checks: 0,
    corruptions_detected: 0,
    state_reads: 0,
    initial_sync_ms_last: null,
    initial_sync_ms_min: null,
    initial_sync_ms_max: null,
  };
}

/**
 * What the metric registry (and the health monitor) read: the counters and
 * the health score, both computed from the same numbers at read time.
 */
export interface WarmRestartSource {
  /** The counters now (a live read-only view). */
  readonly counters: Readonly<WarmRestartCounters>;
  /** The seed's health score, 0..1 (see {@linkcode healthScore}). */
  healthScore(): number;
}

/** `part / whole` clamped to 0..1, or `empty` when `whole` is 0. */
function ratio(part: number, whole: number, empty: number): number {
  if (whole <= 0) return empty;
  return Math.min(1, Math.max(0, part / whole));
}

/**
 * The seed's `recovery_rate`: the share of saved port states a warm start
 * recovered, `state_recoveries / recovery_checks`. The seed divides by
 * `eoiu_detected`; here recoveries are counted per port, and only a warm
 * start's EOIU checks any, so the denominator is the ports those EOIUs
 * checked. No ports checked (no warm start yet, or none with saved state):
 * 1.
 *
 * @example
 * ```ts
 * import { emptyCounters, recoveryRate } from "./metrics.ts";
 * recoveryRate({ ...emptyCounters(), state_recoveries: 3, recovery_checks: 4 }); // 0.75
 * ```
 */
export function recoveryRate(counters: Readonly<WarmRestartCounters>): number {
  return ratio(counters.state_recoveries, counters.recovery_checks, 1);
}

/**
 * The seed's `restart_ratio`: `warm_restarts / (warm_restarts +
 * cold_starts)`, the share of starts that were warm restarts. No starts: 0.
 *
 * @example
 * ```ts
 * import { emptyCounters, restartRatio } from "./metrics.ts";
 * restartRatio({ ...emptyCounters(), warm_restarts: 1, cold_starts: 3 }); // 0.25
 * ```
 */
export function restartRatio(counters: Readonly<WarmRestartCounters>): number {
  const starts = counters.warm_restarts + counters.cold_starts;
  return ratio(counters.warm_restarts, starts, 0);
}

/**
 * The seed's `corruption_rate`: `corruptions_detected / state_reads`, the
 * share of state files read that were unusable (the seed's "events" are
 * the reads a corruption can happen in). No file read yet: 0.
 *
 * @example
 * ```ts
 * import { corruptionRate, emptyCounters } from "./metrics.ts";
 * corruptionRate({ ...emptyCounters(), corruptions_detected: 1, state_reads: 2 }); // 0.5
 * ```
 */
export function corruptionRate(
  counters: Readonly<WarmRestartCounters>,
): number {
  return ratio(counters.corruptions_detected, counters.state_reads, 0);
}

/**
 * The seed's health score, 0..1:
 * `((recovery_rate*40) + (1-restart_ratio)*30 + (1-corruption_rate)*30) / 100`.
 *
 * @example
 * ```ts
 * import { emptyCounters, healthScore } from "./metrics.ts";
 * healthScore(emptyCounters()); // 1
 * healthScore({ ...emptyCounters(), warm_restarts: 1, cold_starts: 1 }); // 0.85
 * ```
 */
export function healthScore(counters: Readonly<WarmRestartCounters>): number {
  return ((recoveryRate(counters) * 40) +
    (1 - restartRatio(counters)) * 30 +
    (1 - corruptionRate(counters)) * 30) / 100;
}

/** Options of {@linkcode WarmRestartMetrics}. */
export interface WarmRestartMetricsOptions {
  /** The start-up dump must end within this many ms (else an EOIU timeout). */
  eoiuTimeoutMs: number;
  /** Counters to continue from (those of the state file); fresh ones by default. */
  counters?: WarmRestartCounters;
}

/** Where the start-up of one run is. */
type Phase = "before" | "waiting" | "done";

/**
 * The warm-restart counters of one run, continued from the previous runs'
 * counters. The start-up dump is the first dump requested (or, failing
 * that, the one running when the start-up was reported); its end is the
 * first dump completion after that.
 *
 * @example
 * ```ts
 * import { WarmRestartMetrics } from "./metrics.ts";
 * const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 30_000 });
 * metrics.startupDumpRequested(0);
 * metrics.started(false, 5);
 * metrics.dumpCompleted(120); // true: EOIU, initial sync took 120 ms
 * metrics.healthScore(); // 1
 * ```
 */
export class WarmRestartMetrics implements WarmRestartSource {
  readonly #counters: WarmRestartCounters;
  readonly #eoiuTimeoutMs: number;
  #phase: Phase = "before";
  #startedAt = 0;
  #timedOut = false;
  #startKind: "warm" | "cold" | null = null;

  /** Creates the metrics of a run. */
  constructor(options: WarmRestartMetricsOptions) {
    this.#eoiuTimeoutMs = options.eoiuTimeoutMs;
    this.#counters = { ...(options.counters ?? emptyCounters()) };
  }

  /** The counters now (a live read-only view). */
  get counters(): Readonly<WarmRestartCounters> {
    return this.#counters;
  }

  /** The seed's health score of the counters now. */
  healthScore(): number {
    return healthScore(this.#counters);
  }

  /** The EOIU timeout, ms. */
  get eoiuTimeoutMs(): number {
    return this.#eoiuTimeoutMs;
  }

  /** `warm` or `cold` once the start was reported, else null. */
  get startKind(): "warm" | "cold" | null {
    return this.#startKind;
  }

  /** True once the start-up dump ended (EOIU). */
  get eoiuSeen(): boolean {
    return this.#phase === "done";
  }

  /**
   * When (on the caller's clock) the start-up dump times out, or null when
   * no start-up dump is pending or its timeout was already counted.
   */
  get eoiuDeadline(): number | null {
    if (this.#phase !== "waiting" || this.#timedOut) return null;
    return this.#startedAt + this.#eoiuTimeoutMs;
  }

  /** A dump was requested at `now`; the first one is the start-up dump. */
  startupDumpRequested(now: number): void {
    if (this.#phase !== "before") return;
    this.#phase = "waiting";
    this.#startedAt = now;
  }

  /**
   * The start-up was done at `now`, warm or cold (counted once per run).
   * Starts the EOIU clock if no dump request was seen.
   */
  started(warm: boolean, now: number): void {
    if (this.#startKind !== null) return;
    this.#startKind = warm ? "warm" : "cold";
    if (warm) this.#counters.warm_restarts++;
    else this.#counters.cold_starts++;
    this.startupDumpRequested(now);
  }

  /**
   * A dump completed at `now`. Returns true when it is the start-up dump's
   * end (EOIU): counted, with its duration; a late one also counts as a
   * timeout if {@linkcode tick} did not count it yet.
   */
  dumpCompleted(now: number): boolean {
    if (this.#phase !== "waiting") return false;
    this.tick(now);
    this.#phase = "done";
    const ms = Math.max(0, now - this.#startedAt);
    const counters = this.#counters;
    counters.eoiu_detected++;
    counters.initial_sync_ms_last = ms;
    counters.initial_sync_ms_min = Math.min(
      counters.initial_sync_ms_min ?? ms,
      ms,
    );
    counters.initial_sync_ms_max = Math.max(
      counters.initial_sync_ms_max ?? ms,
      ms,
    );
    return true;
  }

  /**
   * Checks the EOIU deadline at `now`; returns true (once) when the
   * start-up dump has not ended within `eoiuTimeoutMs` of its request.
   */
  tick(now: number): boolean {
    const deadline = this.eoiuDeadline;
    if (deadline === null || now < deadline) return false;
    this.#timedOut = true;
    this.#counters.eoiu_timeouts++;
    return true;
  }

  /**
   * Counts a warm start's comparison of saved port states with its
   * start-up dump: `compared` saved ports, `matched` of them unchanged.
   */
  recordRecoveries(result: { compared: number; matched: number }): void {
    this.#counters.recovery_checks += result.compared;
    this.#counters.state_recoveries += result.matched;
  }

  /** Counts one state file read, and a corruption when it was unusable. */
  recordRead(corrupt: boolean): void {
    this.#counters.state_reads++;
    if (corrupt) this.#counters.corruptions_detected++;
  }
}
