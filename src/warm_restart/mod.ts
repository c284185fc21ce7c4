/**
 * Warm restart: the warm-start check, WarmRestartMetrics and the seed's
 * health score, and the state file that carries the metrics and the last
 * known port states from one run to the next. `metrics.ts`,
 * `port_state.ts` and `state_codec.ts` are pure; `state_file.ts` is the one
 * file that touches the disk; `start.ts` wires them to the engine.
 * @module
 */

export * from "./check.ts";
export * from "./metrics.ts";
export * from "./observer.ts";
export * from "./port_state.ts";
export * from "./start.ts";
export * from "./state_codec.ts";
export * from "./state_file.ts";
