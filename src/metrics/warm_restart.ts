/**
 * The warm-restart metrics in the registry. The numbers belong to
 * `src/warm_restart` (WarmRestartMetrics); this module reads them through
 * the {@linkcode WarmRestartSource} interface at scrape time, so either side
 * can change without the other.
 * @module
 */

import type { MetricRegistry } from "./registry.ts";

/**
 * The warm-restart counts the registry reads, named as the state file and
 * `src/warm_restart`'s `WarmRestartCounters` name them (that type has these
 * fields and more). They accumulate over restarts.
 */
export interface WarmRestartCounts {
  /** Starts that found STATE_DB's warm-restart state and kept the ports. */
  readonly warm_restarts: number;
  /** Starts that published the port configuration afresh. */
  readonly cold_starts: number;
  /** Start-up dumps that ended (NLMSG_DONE). */
  readonly eoiu_detected: number;
  /** Start-up dumps not complete within `[warm_restart] eoiu_timeout_ms`. */
  readonly eoiu_timeouts: number;
  /** Ports whose dumped state matched the saved state on a warm start. */
  readonly state_recoveries: number;
  /** State files found truncated, garbled or with a wrong checksum. */
  readonly corruptions_detected: number;
  /** Initial-sync duration of the last start, ms; null before any. */
  readonly initial_sync_ms_last: number | null;
  /** Shortest initial-sync duration, ms; null before any. */
  readonly initial_sync_ms_min: number | null;
  /** Longest initial-sync duration, ms; null before any. */
  readonly initial_sync_ms_max: number | null;
}

/**
 * What the registry reads of the warm-restart metrics, at scrape time:
 * `src/warm_restart`'s `WarmRestartMetrics` is one.
 */
export interface WarmRestartSource {
  /** The counts now (a live view). */
  readonly counters: WarmRestartCounts;
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
 *   counters: {
 *     warm_restarts: 1,
 *     cold_starts: 3,
 *     eoiu_detected: 4,
 *     eoiu_timeouts: 0,
 *     state_recoveries: 4,
 *     corruptions_detected: 0,
 *     initial_sync_ms_last: 120,
 *     initial_sync_ms_min: 95,
 *     initial_sync_ms_max: 340,
 *   },
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
    () => source.counters.warm_restarts,
  );
  counter(
    "cold_starts_total",
    "Cold starts (the port configuration published afresh).",
    () => source.counters.cold_starts,
  );
  counter(
    "eoiu_detected_total",
    "Start-up link dumps that ended (NLMSG_DONE, end of initial update).",
    () => source.counters.eoiu_detected,
  );
  counter(
    "eoiu_timeouts_total",
    "Start-up link dumps not complete within [warm_restart] eoiu_timeout_ms.",
    () => source.counters.eoiu_timeouts,
  );
  counter(
    "state_recoveries_total",
    "Ports whose dumped state matched the saved state on a warm start.",
    () => source.counters.state_recoveries,
  );
  counter(
    "corruptions_detected_total",
    "Warm-restart state files found truncated, garbled or with a wrong checksum.",
    () => source.counters.corruptions_detected,
  );
  const durations = [
    ["last", "initial_sync_ms_last", "Duration of the most recent"],
    ["min", "initial_sync_ms_min", "Shortest"],
    ["max", "initial_sync_ms_max", "Longest"],
  ] as const;
  for (const [which, field, what] of durations) {
    registry.gauge({
      name: `portsyncd_initial_sync_${which}_seconds`,
      rule: `initial_sync_${which}_seconds`,
      help:
        `${what} initial sync (start-up dump requested to its end, EOIU), seconds; 0 before the first.`,
    }, () => (source.counters[field] ?? 0) / 1000);
  }
  registry.gauge({
    name: "portsyncd_health_score",
    rule: "health_score",
    help:
      "Warm-restart health score, 0 to 1: (recovery_rate*40 + (1-restart_ratio)*30 + (1-corruption_rate)*30) / 100.",
  }, () => source.healthScore());
}
