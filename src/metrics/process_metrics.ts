/**
 * Process-level metrics: the build (`portsyncd_build_info{version}`, the
 * version from deno.json) and memory (resident set and V8 heap, read from
 * `Deno.memoryUsage()` at scrape time).
 * @module
 */

import { VERSION } from "../version.ts";
import type { MetricRegistry } from "./registry.ts";

export { VERSION };

/**
 * Registers `portsyncd_build_info` (always 1, the version as a label),
 * `process_resident_memory_bytes` and `portsyncd_heap_used_bytes`.
 *
 * @example
 * ```ts
 * import { registerProcess } from "./process_metrics.ts";
 * import { MetricRegistry } from "./registry.ts";
 * const registry = new MetricRegistry();
 * registerProcess(registry);
 * registry.value("build_info", { version: "0.1.0" }); // 1
 * ```
 */
export function registerProcess(registry: MetricRegistry): void {
  const build = new Map([[VERSION, 1]]);
  registry.labelledGauge({
    name: "portsyncd_build_info",
    rule: "build_info",
    label: "version",
    help: "Always 1; the version label is portsyncd's version.",
  }, () => build);
  registry.gauge({
    name: "process_resident_memory_bytes",
    rule: "memory_rss_bytes",
    help: "Resident set size of the portsyncd process, bytes.",
  }, () => Deno.memoryUsage().rss);
  registry.gauge({
    name: "portsyncd_heap_used_bytes",
    rule: "memory_heap_bytes",
    help: "V8 heap in use, bytes.",
  }, () => Deno.memoryUsage().heapUsed);
}
