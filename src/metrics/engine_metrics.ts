/**
 * EngineMetrics: the observer (`src/sync/observer.ts`) that counts what the
 * port sync engine does, and the registration of those counts in the
 * metric registry. On the event path it only updates fields (a batch: a few
 * increments, one bucket, one HDR record, one ring slot); everything else
 * is computed when read.
 * @module
 */

import type { LinkEvent } from "../netlink/types.ts";
import type { SyncCounters } from "../sync/stats.ts";
import type {
  BatchInfo,
  ReconcileInfo,
  SyncObserver,
} from "../sync/observer.ts";
import { type LatencyFigures, LatencyRecorder } from "./latency.ts";
import { EventRate } from "./rates.ts";
import type { MetricRegistry } from "./registry.ts";

/** Options of {@linkcode EngineMetrics}. */
export interface EngineMetricsOptions {
  /** Messages and writes pending now (the daemon's; default 0). */
  queueDepth?: () => number;
  /** The clock of `BatchInfo.ackedAt`, ms (default `performance.now`). */
  now?: () => number;
  /** Latency window slot length, ms (default 10 000; 6 slots). */
  latencySlotMs?: number;
}

/**
 * Counts the engine's events. The fields are read by the registry at
 * scrape time and by the HealthMonitor through `latency()`,
 * `eventsPerSecond()` and `queueDepth()`.
 *
 * @example
 * ```ts
 * import { EngineMetrics } from "./engine_metrics.ts";
 * import type { PortSync } from "../sync/port_sync.ts";
 * declare const sync: PortSync;
 * const engine = new EngineMetrics();
 * sync.observe(engine);
 * engine.latency().p99_us;
 * ```
 */
export class EngineMetrics implements SyncObserver {
  /** Link messages handled (dump replies included). */
  events = 0;
  /** Batches handled. */
  batches = 0;
  /** Netlink overflows. */
  overflows = 0;
  /** Store reconnects. */
  reconnects = 0;
  /** Failed store operations. */
  storeFailures = 0;
  /** STATE_DB port hashes rewritten after another client changed them. */
  stateRepairs = 0;
  /** Link dumps requested. */
  dumpsRequested = 0;
  /** Full reconciles of STATE_DB with the kernel. */
  reconciles = 0;
  /** 1 once PortInitDone was published. */
  portInitDone = 0;
  /** 1 after a warm start, 0 after a cold one. */
  warmStart = 0;
  /** Ports whose link is operationally up (IFF_RUNNING). */
  portsUp = 0;
  /** Oper state by port: 1 up, 0 down (ports the kernel has). */
  readonly ports: Map<string, number> = new Map();
  /** Per-event latency. */
  readonly latencyRecorder: LatencyRecorder;
  /** Events per second. */
  readonly rate: EventRate;
  readonly #queueDepth: () => number;
  readonly #now: () => number;

  /** Creates the counters, all zero. */
  constructor(options: EngineMetricsOptions = {}) {
    this.#queueDepth = options.queueDepth ?? (() => 0);
    this.#now = options.now ?? (() => performance.now());
    this.latencyRecorder = new LatencyRecorder({
      slotMs: options.latencySlotMs,
    });
    this.rate = new EventRate({ start: this.#now() });
  }

  /** Ports whose link is down. */
  get portsDown(): number {
    return this.ports.size - this.portsUp;
  }

  /**
   * Event latency P50/P95/P99/max (µs) over the last minute (50 to 60 s
   * with the default six 10 s slots);
   * `count` is the events in it (0: the figures mean nothing yet).
   */
  latency(): LatencyFigures {
    return this.latencyRecorder.figures(this.#now());
  }

  /** Link messages per second over the last `windowSeconds` (1 to 60). */
  eventsPerSecond(windowSeconds: number): number {
    return this.rate.perSecond(windowSeconds, this.#now());
  }

  /** Messages and writes pending, from the daemon's callback. */
  queueDepth(): number {
    return this.#queueDepth();
  }

  /** Each message of the batch counts with the batch's latency. */
  batchHandled(info: BatchInfo): void {
    this.batches++;
    const messages = info.messages;
    if (messages === 0) return;
    this.events += messages;
    this.latencyRecorder.record(info.ackedAt - info.receivedAt, {
      count: messages,
      at: info.ackedAt,
    });
    this.rate.add(messages, info.ackedAt);
  }

  /** Keeps the port's oper state and the up count. */
  portChanged(port: string, link: LinkEvent | null): void {
    const before = this.ports.get(port);
    if (link === null) {
      if (before === undefined) return;
      this.ports.delete(port);
      this.portsUp -= before;
      return;
    }
    const up = link.oper === "up" ? 1 : 0;
    if (before === up) return;
    this.ports.set(port, up);
    this.portsUp += up - (before ?? 0);
  }

  /** Counts an overflow. */
  overflow(): void {
    this.overflows++;
  }

  /** Counts a dump request. */
  dumpRequested(_reason: string): void {
    this.dumpsRequested++;
  }

  /** Counts a reconcile. */
  reconciled(_info: ReconcileInfo): void {
    this.reconciles++;
  }

  /** Notes a warm or cold start. */
  started(info: { warm: boolean }): void {
    this.warmStart = info.warm ? 1 : 0;
  }

  /** Notes PortInitDone. */
  initDone(): void {
    this.portInitDone = 1;
  }

  /** Counts a reconnect. */
  storeReconnected(_database: string): void {
    this.reconnects++;
  }

  /** Counts a failed store operation. */
  storeFailed(_error: Error): void {
    this.storeFailures++;
  }

  /** Counts rewritten hashes. */
  stateRepaired(ports: number): void {
    this.stateRepairs += ports;
  }
}

/** Options of {@linkcode registerEngine}. */
export interface RegisterEngineOptions {
  /**
   * The engine's own counters (`PortSync.counters`), for what the observer
   * does not see: STATE_DB writes and ignored messages.
   */
  counters?: Readonly<SyncCounters>;
}

/**
 * Registers the engine's metrics (see the metrics table in the README):
 * counters of events, batches, overflows, reconnects, failures, repairs,
 * dumps and reconciles; gauges of ports up and down, `port_oper_up` per
 * port, queue depth; the latency histogram and its rule-only percentiles;
 * rule-only event rates over 1, 10 and 60 s.
 *
 * @example
 * ```ts
 * import { EngineMetrics, registerEngine } from "./engine_metrics.ts";
 * import { MetricRegistry } from "./registry.ts";
 * const registry = new MetricRegistry();
 * const engine = new EngineMetrics();
 * registerEngine(registry, engine);
 * registry.value("ports_oper_down"); // 0
 * ```
 */
export function registerEngine(
  registry: MetricRegistry,
  engine: EngineMetrics,
  options: RegisterEngineOptions = {},
): void {
  const counter = (
    rule: string,
    help: string,
    read: () => number,
  ) => registry.counter({ name: `portsyncd_${rule}`, rule, help }, read);
  counter(
    "events_total",
    "Link messages (RTM_NEWLINK, RTM_DELLINK, dump replies) handled.",
    () => engine.events,
  );
  counter(
    "batches_total",
    "Drained batches of netlink messages handled.",
    () => engine.batches,
  );
  counter(
    "netlink_overflows_total",
    "Times the kernel dropped link messages (ENOBUFS or later drops); each leads to a full dump.",
    () => engine.overflows,
  );
  counter(
    "redis_reconnects_total",
    "Redis connections re-made after a loss; each leads to a full dump.",
    () => engine.reconnects,
  );
  counter(
    "store_failures_total",
    "Failed store operations (refused or timed-out writes); STATE_DB is then repaired.",
    () => engine.storeFailures,
  );
  counter(
    "state_repairs_total",
    "STATE_DB port hashes rewritten because another client changed or deleted them.",
    () => engine.stateRepairs,
  );
  counter(
    "dumps_requested_total",
    "Full link dumps requested (start-up, overflow, reconnect).",
    () => engine.dumpsRequested,
  );
  counter(
    "reconciles_total",
    "Full reconciles of STATE_DB with the kernel (after a dump or a failed write).",
    () => engine.reconciles,
  );
  const counters = options.counters;
  if (counters !== undefined) {
    counter(
      "state_writes_total",
      "STATE_DB port writes (HSET and DEL).",
      () => counters.stateWrites + counters.stateDeletes,
    );
    counter(
      "ignored_messages_total",
      "Link messages ignored by the filters (not a port, a team, a DELLINK with a master).",
      () => counters.ignoredMessages,
    );
  }
  registerGauges(registry, engine);
  registerLatency(registry, engine);
}

function registerGauges(registry: MetricRegistry, engine: EngineMetrics): void {
  const gauge = (rule: string, help: string, read: () => number) =>
    registry.gauge({ name: `portsyncd_${rule}`, rule, help }, read);
  gauge(
    "ports_oper_up",
    "Ports whose link is operationally up (IFF_RUNNING).",
    () => engine.portsUp,
  );
  gauge(
    "ports_oper_down",
    "Ports whose link exists and is operationally down.",
    () => engine.portsDown,
  );
  registry.labelledGauge({
    name: "portsyncd_port_oper_up",
    rule: "port_oper_up",
    label: "port",
    help:
      "1 when the port's link is operationally up, 0 when down; no series once the link is gone.",
  }, () => engine.ports);
  gauge(
    "queue_depth",
    "Messages in hand and store writes not yet acknowledged.",
    () => engine.queueDepth(),
  );
  gauge(
    "port_init_done",
    "1 once PortInitDone was published (never after a warm start).",
    () => engine.portInitDone,
  );
  gauge(
    "warm_start",
    "1 when this run began with a warm start, 0 after a cold start.",
    () => engine.warmStart,
  );
}

function registerLatency(
  registry: MetricRegistry,
  engine: EngineMetrics,
): void {
  registry.histogram({
    name: "portsyncd_event_latency_seconds",
    rule: "latency_count",
    help:
      "Per-event latency from netlink receipt to store acknowledgement (each message counts with its batch's latency).",
  }, engine.latencyRecorder);
  const { windowMs, slotMs } = engine.latencyRecorder;
  const span = `${(windowMs - slotMs) / 1000} to ${windowMs / 1000} s`;
  const percentiles = [
    ["latency_p50_us", "p50_us", "Median"],
    ["latency_p95_us", "p95_us", "95th percentile of the"],
    ["latency_p99_us", "p99_us", "99th percentile of the"],
    ["latency_max_us", "max_us", "Largest"],
  ] as const;
  for (const [rule, field, what] of percentiles) {
    registry.ruleValue({
      rule,
      help: `${what} event latency over the last ${span}, µs.`,
    }, () => engine.latency()[field]);
  }
  for (const seconds of [1, 10, 60]) {
    registry.ruleValue({
      rule: `events_per_second_${seconds}s`,
      help: `Link messages per second over the last ${seconds} s.`,
    }, () => engine.eventsPerSecond(seconds));
  }
}
