/**
 * The components that watch the engine, started and stopped together:
 * warm restart (metrics and the state file), the metric registry with its
 * `/metrics` endpoint, and the HealthMonitor. They plug into the engine's
 * observer seam; nothing here is on the event path.
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { type Alerting, startAlerting } from "../alerting/service.ts";
import type { AlertRule } from "../alerting/types.ts";
import { HealthMonitor } from "../health/monitor.ts";
import type { Logger } from "../log/mod.ts";
import {
  MetricsListenError,
  type RunningMetrics,
  startMetrics,
} from "../metrics/mod.ts";
import { RedisStore } from "../store/redis_store.ts";
import type { Store } from "../store/types.ts";
import type { SyncLoop } from "../sync/loop.ts";
import type { PortSync } from "../sync/port_sync.ts";
import { startWarmRestart, type WarmRestart } from "../warm_restart/start.ts";
import { DaemonError } from "./errors.ts";

/** The running components. */
export interface Components {
  /** Warm-restart metrics and the state file. */
  warmRestart: WarmRestart;
  /** The metric registry, the engine's metrics and the endpoint. */
  metrics: RunningMetrics;
  /** The STATE_DB health report; `start()` it once start-up is done. */
  health: HealthMonitor;
  /**
   * Once start-up is done: reads CONFIG_DB's alert rules and suppressions
   * and starts evaluating (file rules included).
   */
  startAlerting(): Promise<void>;
  /** Replaces the config file's alert rules (SIGHUP reload). */
  setFileRules(rules: AlertRule[]): void;
  /** Alerts firing now, or null while alerting is not running (systemd STATUS). */
  firingAlerts(): number | null;
  /** Stops the health report, saves the state file, closes the endpoint. */
  close(): Promise<void>;
}

/** What the components watch. */
export interface ComponentTargets {
  /** The engine. */
  sync: PortSync;
  /** Its loop (messages in hand, failing writes). */
  loop: SyncLoop;
  /** The store (writes pending, STATE_DB for the health report). */
  store: Store;
  /** Logger. */
  log: Logger;
}

/**
 * Starts the components; call it before `sync.start()` so warm restart sees
 * the start-up. A metrics port in use is a `DaemonError` (one line, exit 1).
 *
 * @example
 * ```ts ignore
 * const components = await startComponents(settings, { sync, loop, store, log });
 * try {
 *   await sync.start();
 * } finally {
 *   await components.close();
 * }
 * ```
 */
export async function startComponents(
  settings: Settings,
  targets: ComponentTargets,
): Promise<Components> {
  const { config } = settings;
  const { sync, loop, store, log } = targets;
  const warmRestart = await startWarmRestart(sync, {
    stateDir: config.warm_restart.state_dir,
    namespace: config.netlink.namespace,
    saveIntervalMs: config.warm_restart.save_interval_ms,
    eoiuTimeoutMs: config.warm_restart.eoiu_timeout_ms,
    log,
  });
  const pending = pendingWrites(store);
  let metrics: RunningMetrics;
  try {
    metrics = startMetrics(sync, {
      listen: config.metrics.listen,
      log,
      queueDepth: () => pending() + loop.inHand,
      warmRestart: warmRestart.metrics,
    });
  } catch (error) {
    await warmRestart.close();
    if (!(error instanceof MetricsListenError)) throw error;
    throw new DaemonError(error.message, { cause: error });
  }
  const { report_interval_ms: intervalMs, ...thresholds } = config.health;
  const engine = metrics.engine;
  const health = new HealthMonitor({
    state: store.db("STATE_DB"),
    sources: {
      latency: () => engine.latency(),
      eventsPerSecond: (seconds) => engine.eventsPerSecond(seconds),
      queueDepth: () => engine.queueDepth(),
      healthScore: () => warmRestart.metrics.healthScore(),
      storeFailing: () => loop.repairing,
      overflows: () => sync.counters.overflows,
      portFlaps: () => metrics.ports.flaps(),
    },
    thresholds,
    intervalMs,
    log,
  });
  let alerting: Alerting | null = null;
  let fileRules = settings.alertRules;
  let unobserve = () => {};
  return {
    warmRestart,
    metrics,
    health,
    async startAlerting() {
      alerting = await startAlerting({
        config: config.alerting,
        fileRules,
        registry: metrics.registry,
        store,
        configDb: store.kind === "redis"
          ? settings.dbConfig.databases.get("CONFIG_DB") ?? null
          : null,
        log,
      });
      unobserve = sync.observe(alerting.observer);
    },
    firingAlerts() {
      if (alerting === null) return null;
      let firing = 0;
      for (const alert of alerting.engine.active()) {
        if (alert.state === "firing") firing++;
      }
      return firing;
    },
    setFileRules(rules) {
      fileRules = rules;
      alerting?.setFileRules(rules);
    },
    async close() {
      unobserve();
      await alerting?.close();
      health.stop();
      await warmRestart.close(); // saves the state file; never rejects
      await metrics.close();
    },
  };
}

/** Write commands queued and unanswered in a Redis store (0 for memory). */
function pendingWrites(store: Store): () => number {
  if (!(store instanceof RedisStore)) return () => 0;
  return () => {
    let total = 0;
    for (const count of Object.values(store.pending())) total += count;
    return total;
  };
}
