/**
 * The daemon's health, decided from numbers: pure, so the thresholds are
 * tested with tables. `healthy` when nothing is wrong, `degraded` when the
 * daemon works but something needs a look, `unhealthy` when STATE_DB may
 * be wrong now.
 * @module
 */

import type { Config } from "../config/schema.ts";

/** `healthy`, `degraded` or `unhealthy`. */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** What the health is decided from (a snapshot). */
export interface HealthSnapshot {
  /** Event latency p99 (netlink receipt → store acknowledgement), µs; null before any event. */
  latencyP99Us: number | null;
  /** Messages and writes pending. */
  queueDepth: number;
  /** The warm-restart health score, 0 to 1. */
  healthScore: number;
  /** True while store writes fail and wait for their repair. */
  storeFailing: boolean;
  /** Netlink overflows since the previous assessment. */
  newOverflows: number;
}

/** The thresholds of `[health]`. */
export type HealthThresholds = Omit<Config["health"], "report_interval_ms">;

/** The verdict: a status and why (empty when healthy). */
export interface HealthVerdict {
  /** The worst status any reason gives. */
  status: HealthStatus;
  /** One short text per problem, e.g. `latency p99 12000 µs > 10000 µs`. */
  reasons: string[];
}

/**
 * Decides the status from a snapshot: each threshold crossed adds a reason;
 * the worst one wins.
 *
 * @example
 * ```ts
 * import { assessHealth } from "./assess.ts";
 * const verdict = assessHealth({
 *   latencyP99Us: 250,
 *   queueDepth: 0,
 *   healthScore: 1,
 *   storeFailing: false,
 *   newOverflows: 0,
 * }, {
 *   latency_p99_degraded_us: 10_000,
 *   latency_p99_unhealthy_us: 100_000,
 *   queue_depth_degraded: 1_000,
 *   queue_depth_unhealthy: 50_000,
 *   health_score_degraded: 0.6,
 *   health_score_unhealthy: 0.3,
 * });
 * verdict.status; // "healthy"
 * ```
 */
export function assessHealth(
  snapshot: HealthSnapshot,
  thresholds: HealthThresholds,
): HealthVerdict {
  const unhealthy: string[] = [];
  const degraded: string[] = [];
  if (snapshot.storeFailing) unhealthy.push("store writes failing");
  const p99 = snapshot.latencyP99Us;
  if (p99 !== null && p99 > thresholds.latency_p99_unhealthy_us) {
    unhealthy.push(
      `latency p99 ${p99} µs > ${thresholds.latency_p99_unhealthy_us} µs`,
    );
  } else if (p99 !== null && p99 > thresholds.latency_p99_degraded_us) {
    degraded.push(
      `latency p99 ${p99} µs > ${thresholds.latency_p99_degraded_us} µs`,
    );
  }
  const depth = snapshot.queueDepth;
  if (depth > thresholds.queue_depth_unhealthy) {
    unhealthy.push(
      `queue depth ${depth} > ${thresholds.queue_depth_unhealthy}`,
    );
  } else if (depth > thresholds.queue_depth_degraded) {
    degraded.push(`queue depth ${depth} > ${thresholds.queue_depth_degraded}`);
  }
  const score = snapshot.healthScore;
  if (score < thresholds.health_score_unhealthy) {
    unhealthy.push(
      `health score ${score} < ${thresholds.health_score_unhealthy}`,
    );
  } else if (score < thresholds.health_score_degraded) {
    degraded.push(
      `health score ${score} < ${thresholds.health_score_degraded}`,
    );
  }
  if (snapshot.newOverflows > 0) {
    degraded.push(`${snapshot.newOverflows} netlink overflow(s)`);
  }
  const status: HealthStatus = unhealthy.length > 0
    ? "unhealthy"
    : degraded.length > 0
    ? "degraded"
    : "healthy";
  return { status, reasons: [...unhealthy, ...degraded] };
}
