/**
 * Health: the verdict from thresholds (pure) and the HealthMonitor that
 * reports it to STATE_DB.
 * @module
 */

export * from "./assess.ts";
export * from "./monitor.ts";
