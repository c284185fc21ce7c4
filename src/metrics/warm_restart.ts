/**
 * The warm-restart metrics in the registry. The numbers belong to
 * `src/warm_restart` (WarmRestartMetrics); this module reads them through
 * the {@linkcode WarmRestartSource} interface at scrape time, so either side
 * can change without the other.
 * @module
 */

import type { MetricRegistry } from "./registry.ts";

/** Initial-sync durations in ms. */
export interface InitialSyncDurations {
  /** The most recent. */
  lastMs: number;
  /** The shortest. */
  minMs: number;
  /** The longest. */
  maxMs: number;
}

/**
 * What the registry reads of the warm-restart metrics (counts since the
 * state file began, so they survive restarts). Plain readable properties
 * (fields or getters) and one method.
 */
export interface WarmRestartSource {
  /** Starts that found STATE_DB's warm-restart state and kept the ports. */
  readonly warmRestarts: number;
  /** Starts that published the port configuration afresh. */
  readonly coldStarts: number;
  /** Start-up dumps that ended (NLMSG_DONE). */
  readonly eoiuDetected: number;
  /** Start-up dumps not complete within `[warm_restart] eoiu_timeout_ms`. */
  readonly eoiuTimeouts: number;
  /** Ports whose dumped state matched the saved state on a warm start. */
  readonly stateRecoveries: number;
  /** State files found truncated, garbled or with a wrong checksum. */
  readonly corruptionsDetected: number;
  /** Initial-sync durations; null before the first completed one. */
  readonly initialSync: InitialSyncDurations | null;
  /** The seed's health score, 0 to 1. */
  healthScore(): number;
}

/**
 * Registers the warm-restart counters, the initial-sync durations (0 until
 * the first initial sync completes) and `portsyncd_health_score`.
 *
 * @example
 * ```ts
 * import { registerWarmRestart } from "./warm_restart.ts";
 * import { MetricRegistry } from "./registry.ts";
 * const registry = new MetricRegistry();
 * registerWarmRestart(registry, {
 *   warmRestarts: 1,
 *   coldStarts: 3,
 *   eoiuDetected: 4,
 *   eoiuTimeouts: 0,
 *   stateRecoveries: 4,
 *   corruptionsDetected: 0,
 *   initialSync: null,
 *   healthScore: () => 0.925,
 * });
 * registry.value("health_score"); // 0.925
 * ```
 */
export function registerWarmRestart(
  registry: MetricRegistry,
  source: WarmRestartSource,
): void {
  const counter = (rule: string, help: string, read: () => number) =>
    registry.counter({ name: `portsyncd_${rule}`, rule, help }, read);
  counter(
    "warm_restarts_total",
    "Warm starts (STATE_DB's warm-restart state kept the ports).",
    () => source.warmRestarts,
  );
  counter(
    "cold_starts_total",
    "Cold starts (the port configuration published afresh).",
    () => source.coldStarts,
  );
  counter(
    "eoiu_detected_total",
    "Start-up link dumps that ended (NLMSG_DONE, end of initial update).",
    () => source.eoiuDetected,
  );
  counter(
    "eoiu_timeouts_total",
    "Start-up link dumps not complete within [warm_restart] eoiu_timeout_ms.",
    () => source.eoiuTimeouts,
  );
  counter(
    "state_recoveries_total",
    "Ports whose dumped state matched the saved state on a warm start.",
    () => source.stateRecoveries,
  );
  counter(
    "corruptions_detected_total",
    "Warm-restart state files found truncated, garbled or with a wrong checksum.",
    () => source.corruptionsDetected,
  );
  const durations = [
    ["last", "lastMs", "Duration of the most recent"],
    ["min", "minMs", "Shortest"],
    ["max", "maxMs", "Longest"],
  ] as const;
  for (const [which, field, what] of durations) {
    registry.gauge({
      name: `portsyncd_initial_sync_${which}_seconds`,
      rule: `initial_sync_${which}_seconds`,
      help:
        `${what} initial sync (start to the start-up dump reconciled), seconds; 0 before the first.`,
    }, () => (source.initialSync?.[field] ?? 0) / 1000);
  }
  registry.gauge({
    name: "portsyncd_health_score",
    rule: "health_score",
    help:
      "Warm-restart health score, 0 to 1: (recovery_rate*40 + (1-restart_ratio)*30 + (1-corruption_rate)*30) / 100.",
  }, () => source.healthScore());
}
