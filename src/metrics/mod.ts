/**
 * Metrics: the registry of every portsyncd metric (Prometheus names and
 * rule-facing short names), the engine observer that counts events,
 * latency and rates, the warm-restart and process metrics, and the
 * Prometheus endpoint.
 *
 * @example
 * ```ts ignore
 * import { startMetrics } from "./mod.ts";
 * const metrics = startMetrics(sync, { listen: "127.0.0.1:9464", log });
 * metrics.registry.value("events_total");
 * metrics.engine.latency().p99_us;
 * await metrics.close();
 * ```
 * @module
 */

export * from "./registry.ts";
export * from "./latency.ts";
export * from "./rates.ts";
export * from "./engine_metrics.ts";
export * from "./process_metrics.ts";
export * from "./warm_restart.ts";
export * from "./listen.ts";
export * from "./server.ts";
export * from "./port_metrics.ts";
