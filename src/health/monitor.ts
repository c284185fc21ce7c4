/**
 * The HealthMonitor: every `[health] report_interval_ms` it reads the
 * daemon's latency, throughput, queue depth, memory, store and netlink
 * state, decides the status (`assess.ts`), writes STATE_DB
 * `PORTSYNCD_HEALTH_TABLE|portsyncd` and logs a change of status.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { LatencyFigures } from "../metrics/latency.ts";
import type { Database, Fields, StoreOp } from "../store/types.ts";
import {
  assessHealth,
  type HealthStatus,
  type HealthThresholds,
  type HealthVerdict,
} from "./assess.ts";

/** The STATE_DB table and key of the report. */
export const HEALTH_TABLE = "PORTSYNCD_HEALTH_TABLE";
/**
 * The STATE_DB table of per-port figures written with each report:
 * `PORTSYNCD_PORT_STATS|<port>` with `flaps` (operational up/down changes
 * since the daemon started), read by `portsyncd --status`.
 */
export const PORT_STATS_TABLE = "PORTSYNCD_PORT_STATS";

/** Where the monitor reads from (the metrics, the warm-restart metrics, the loop). */
export interface HealthSources {
  /** Event latency over the metrics' window (the last minute). */
  latency(): LatencyFigures;
  /** Link messages per second over the last `windowSeconds`. */
  eventsPerSecond(windowSeconds: number): number;
  /** Messages and writes pending. */
  queueDepth(): number;
  /** The warm-restart health score, 0 to 1. */
  healthScore(): number;
  /** True while store writes fail and wait for their repair. */
  storeFailing(): boolean;
  /** Netlink overflows since start. */
  overflows(): number;
  /** Flaps per port since start (written to `PORTSYNCD_PORT_STATS`). */
  portFlaps?(): ReadonlyMap<string, number>;
}

/** Options of {@linkcode HealthMonitor}. */
export interface HealthMonitorOptions {
  /** STATE_DB. */
  state: Database;
  /** What to read. */
  sources: HealthSources;
  /** Thresholds of `[health]`. */
  thresholds: HealthThresholds;
  /** Report period in ms. */
  intervalMs: number;
  /** Logger. */
  log: Logger;
  /** The clock for `updated` (tests inject one). */
  now?: () => Date;
}

/** One report, as written to STATE_DB. */
export interface HealthReport extends HealthVerdict {
  /** The fields of `PORTSYNCD_HEALTH_TABLE|portsyncd`. */
  fields: Fields;
}

/** Reports the daemon's health to STATE_DB on a timer. */
export class HealthMonitor {
  readonly #options: HealthMonitorOptions;
  readonly #key: string;
  #timer: ReturnType<typeof setInterval> | undefined;
  #writing = false;
  #overflowsSeen = 0;
  #status: HealthStatus = "healthy";
  #last: HealthReport | null = null;
  /** Ports with a `PORTSYNCD_PORT_STATS` hash written by this run. */
  readonly #statsWritten = new Set<string>();

  /** Creates the monitor; `start()` arms its timer. */
  constructor(options: HealthMonitorOptions) {
    this.#options = options;
    this.#key = `${HEALTH_TABLE}${options.state.separator}portsyncd`;
    this.#overflowsSeen = options.sources.overflows();
  }

  /** The last report, or null before the first. */
  get last(): HealthReport | null {
    return this.#last;
  }

  /** Reports now, then every `intervalMs`. */
  start(): void {
    void this.#tick();
    this.#timer = setInterval(
      () => void this.#tick(),
      this.#options.intervalMs,
    );
  }

  /** Stops reporting. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Assesses the health now and writes the report (one HSET). Resolves with
   * the report; rejects when the store refused the write.
   */
  async report(): Promise<HealthReport> {
    const report = this.#assess();
    this.#last = report;
    this.#logChange(report);
    const { state } = this.#options;
    await state.batch([
      { op: "hset", key: this.#key, fields: report.fields },
      ...this.#portStats(),
    ]);
    return report;
  }

  /** One timed report; skipped while the previous write is still pending. */
  async #tick(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      await this.report();
    } catch (error) {
      this.#options.log.debug("health report not written", {
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.#writing = false;
    }
  }

  #assess(): HealthReport {
    const { sources, thresholds } = this.#options;
    const latency = sources.latency();
    const overflows = sources.overflows();
    const queueDepth = sources.queueDepth();
    const healthScore = sources.healthScore();
    const verdict = assessHealth({
      latencyP99Us: latency.count > 0 ? latency.p99_us : null,
      queueDepth,
      healthScore,
      storeFailing: sources.storeFailing(),
      newOverflows: overflows - this.#overflowsSeen,
    }, thresholds);
    this.#overflowsSeen = overflows;
    const memory = Deno.memoryUsage();
    const now = this.#options.now?.() ?? new Date();
    return {
      ...verdict,
      fields: {
        status: verdict.status,
        reasons: verdict.reasons.join("; "),
        health_score: String(Math.round(healthScore * 1000) / 1000),
        latency_p50_us: String(latency.p50_us),
        latency_p95_us: String(latency.p95_us),
        latency_p99_us: String(latency.p99_us),
        latency_max_us: String(latency.max_us),
        events_per_second: String(
          Math.round(sources.eventsPerSecond(10) * 10) / 10,
        ),
        queue_depth: String(queueDepth),
        memory_rss_bytes: String(memory.rss),
        memory_heap_bytes: String(memory.heapUsed),
        updated: now.toISOString(),
      },
    };
  }

  /** HSETs of each port's flaps, DELs of ports gone since the last report. */
  #portStats(): StoreOp[] {
    const flaps = this.#options.sources.portFlaps?.();
    if (flaps === undefined) return [];
    const sep = this.#options.state.separator;
    const ops: StoreOp[] = [];
    for (const [port, count] of flaps) {
      ops.push({
        op: "hset",
        key: `${PORT_STATS_TABLE}${sep}${port}`,
        fields: { flaps: String(count) },
      });
      this.#statsWritten.add(port);
    }
    for (const port of this.#statsWritten) {
      if (flaps.has(port)) continue;
      ops.push({ op: "del", key: `${PORT_STATS_TABLE}${sep}${port}` });
      this.#statsWritten.delete(port);
    }
    return ops;
  }

  #logChange(report: HealthReport): void {
    if (report.status === this.#status) return;
    const fields = { reasons: report.reasons.join("; ") };
    if (report.status === "healthy") {
      this.#options.log.info(`health: healthy again (was ${this.#status})`);
    } else {
      this.#options.log.warn(`health: ${report.status}`, fields);
    }
    this.#status = report.status;
  }
}
