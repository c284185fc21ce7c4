/**
 * Per-port metrics for alert rules and `--status`: whether each port is
 * down, and how often it flaps (operational up ↔ down changes), in all and
 * over the last minute. An observer of the engine; counting is field
 * updates and one timestamp per flap.
 * @module
 */

import type { LinkEvent } from "../netlink/types.ts";
import type { SyncObserver } from "../sync/observer.ts";
import type { MetricRegistry } from "./registry.ts";

/** The window of `port_flaps_per_minute`, ms. */
const MINUTE_MS = 60_000;
/** Flap timestamps kept per port (a port flapping faster reads as this many). */
const MAX_RECENT = 4096;

interface PortRecord {
  /** 1 up, 0 down. */
  up: number;
  /** Oper changes since start. */
  flaps: number;
  /** Times of the flaps within the last minute, oldest first. */
  recent: number[];
}

/** Per-port oper state and flaps, kept from the engine's port reports. */
export class PortMetrics implements SyncObserver {
  readonly #ports = new Map<string, PortRecord>();
  readonly #now: () => number;

  /** Creates empty metrics; `now` is injected by tests (ms). */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** Notes the port's oper state; a change of it is a flap. */
  portChanged(port: string, link: LinkEvent | null): void {
    if (link === null) {
      this.#ports.delete(port);
      return;
    }
    const up = link.oper === "up" ? 1 : 0;
    const record = this.#ports.get(port);
    if (record === undefined) {
      this.#ports.set(port, { up, flaps: 0, recent: [] });
      return;
    }
    if (record.up === up) return;
    record.up = up;
    record.flaps++;
    const now = this.#now();
    trim(record.recent, now);
    if (record.recent.length >= MAX_RECENT) record.recent.shift();
    record.recent.push(now);
  }

  /** 1 for every port that is down, 0 for every port that is up. */
  down(): Map<string, number> {
    const result = new Map<string, number>();
    for (const [port, record] of this.#ports) result.set(port, 1 - record.up);
    return result;
  }

  /** Oper changes per port since the daemon started. */
  flaps(): Map<string, number> {
    const result = new Map<string, number>();
    for (const [port, record] of this.#ports) result.set(port, record.flaps);
    return result;
  }

  /** Oper changes per port over the last minute. */
  flapsPerMinute(): Map<string, number> {
    const now = this.#now();
    const result = new Map<string, number>();
    for (const [port, record] of this.#ports) {
      trim(record.recent, now);
      result.set(port, record.recent.length);
    }
    return result;
  }
}

function trim(recent: number[], now: number): void {
  let old = 0;
  while (old < recent.length && now - recent[old] > MINUTE_MS) old++;
  if (old > 0) recent.splice(0, old);
}

/**
 * Registers `portsyncd_port_oper_down{port}`, `portsyncd_port_flaps{port}`
 * and `portsyncd_port_flaps_per_minute{port}` (rule names `port_oper_down`,
 * `port_flaps`, `port_flaps_per_minute`).
 *
 * @example
 * ```ts
 * import { MetricRegistry } from "./registry.ts";
 * import { PortMetrics, registerPorts } from "./port_metrics.ts";
 * const ports = new PortMetrics();
 * registerPorts(new MetricRegistry(), ports);
 * ```
 */
export function registerPorts(
  registry: MetricRegistry,
  ports: PortMetrics,
): void {
  registry.labelledGauge({
    name: "portsyncd_port_oper_down",
    rule: "port_oper_down",
    label: "port",
    help:
      "1 when the port's link is operationally down, 0 when up; no series once the link is gone.",
  }, () => ports.down());
  registry.labelledGauge({
    name: "portsyncd_port_flaps",
    rule: "port_flaps",
    label: "port",
    help:
      "Operational up/down changes of the port since portsyncd started (a gauge: it restarts with the daemon and the link).",
  }, () => ports.flaps());
  registry.labelledGauge({
    name: "portsyncd_port_flaps_per_minute",
    rule: "port_flaps_per_minute",
    label: "port",
    help: "Operational up/down changes of the port over the last minute.",
  }, () => ports.flapsPerMinute());
}
