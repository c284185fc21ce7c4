/**
 * The Prometheus endpoint, the one I/O file of `src/metrics`: `Deno.serve`
 * on `[metrics] listen`, `GET /metrics` answered with the registry's text
 * exposition. And `startMetrics`, which the daemon calls to create the
 * registry, observe the engine and serve.
 *
 * A scrape never blocks the event loop: every metric's collect is a
 * synchronous read of fields the observers keep (a few hundred µs for
 * 1,000 ports, see BENCHMARKS.md); nothing in it waits on I/O or takes a
 * lock, so the sync loop's own awaits interleave with scrapes as with any
 * other task.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { SyncObserver } from "../sync/observer.ts";
import { newCounters, type SyncCounters } from "../sync/stats.ts";
import { emptyCounters } from "../warm_restart/metrics.ts";
import { EngineMetrics, registerEngine } from "./engine_metrics.ts";
import { PortMetrics, registerPorts } from "./port_metrics.ts";
import {
  formatListen,
  listenProblem,
  MetricsListenError,
  parseListen,
} from "./listen.ts";
import { registerProcess } from "./process_metrics.ts";
import { MetricRegistry } from "./registry.ts";
import { registerWarmRestart, type WarmRestartSource } from "./warm_restart.ts";

/** The path the endpoint serves. */
export const METRICS_PATH = "/metrics";

/** A listening endpoint. */
export interface MetricsServer {
  /** Where it listens, e.g. `127.0.0.1:9464` (the real port when 0 was asked). */
  readonly address: string;
  /** Stops listening; resolves once open requests are answered. */
  close(): Promise<void>;
}

/**
 * Answers one request: `GET`/`HEAD /metrics` with the exposition text, 404
 * for any other path, 405 for any other method, 500 (logged) when a
 * metric's source throws.
 */
export async function handleMetricsRequest(
  registry: MetricRegistry,
  request: Request,
  options: { log?: Logger } = {},
): Promise<Response> {
  if (new URL(request.url).pathname !== METRICS_PATH) {
    return new Response("not found: the metrics are at /metrics\n", {
      status: 404,
    });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", {
      status: 405,
      headers: { allow: "GET, HEAD" },
    });
  }
  try {
    const text = await registry.metrics();
    return new Response(request.method === "HEAD" ? null : text, {
      headers: { "content-type": registry.contentType },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    options.log?.warn("metrics scrape failed", { error: message });
    return new Response(`scrape failed: ${message}\n`, { status: 500 });
  }
}

/**
 * Serves `registry` on `listen` (`HOST:PORT`, `[ADDR]:PORT`). Throws
 * `MetricsListenError` (`metrics listen 127.0.0.1:9464: address in use`)
 * when it cannot listen: the port is taken, the address is not local, the
 * host does not resolve, or the value is not `HOST:PORT`.
 *
 * @example
 * ```ts ignore
 * const server = serveMetrics(registry, { listen: "127.0.0.1:9464", log });
 * await server.close();
 * ```
 */
export function serveMetrics(
  registry: MetricRegistry,
  options: { listen: string; log: Logger },
): MetricsServer {
  const address = parseListen(options.listen);
  if (address === null) {
    throw new MetricsListenError("metrics listen is empty (off)");
  }
  const log = options.log;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: address.hostname,
      port: address.port,
      onListen() {},
      onError(error) {
        log.warn("metrics request failed", { error: listenProblem(error) });
        return new Response("internal error\n", { status: 500 });
      },
    }, (request) => handleMetricsRequest(registry, request, { log }));
  } catch (error) {
    throw new MetricsListenError(
      `metrics listen ${options.listen}: ${listenProblem(error)}`,
      { cause: error },
    );
  }
  const bound = formatListen({
    hostname: address.hostname,
    port: server.addr.port,
  });
  log.info("metrics endpoint listening", { url: `http://${bound}/metrics` });
  return {
    address: bound,
    close: () => server.shutdown(),
  };
}

/** What `startMetrics` needs of the engine (`PortSync` has it). */
export interface ObservedEngine {
  /** Adds an observer; returns its removal. */
  observe(observer: SyncObserver): () => void;
  /** The engine's counters. */
  readonly counters: Readonly<SyncCounters>;
}

/** Options of {@linkcode startMetrics}. */
export interface StartMetricsOptions {
  /** `[metrics] listen`; "" creates the registry without an endpoint. */
  listen: string;
  /** Logger. */
  log: Logger;
  /** Messages in hand plus store writes pending. */
  queueDepth?: () => number;
  /** The warm-restart metrics and health score, when there are. */
  warmRestart?: WarmRestartSource;
}

/** The daemon's metrics, running. */
export interface RunningMetrics {
  /** Every metric, by Prometheus and rule-facing name. */
  readonly registry: MetricRegistry;
  /** The engine observer (latency, rates, queue depth for the HealthMonitor). */
  readonly engine: EngineMetrics;
  /** Per-port oper state and flaps (for rules and the `--status` flaps). */
  readonly ports: PortMetrics;
  /** The endpoint, or null when `listen` is "". */
  readonly server: MetricsServer | null;
  /** Stops observing and serving. */
  close(): Promise<void>;
}

/**
 * Creates the registry with the engine, process and (when given)
 * warm-restart metrics, observes `sync`, and serves `/metrics` when
 * `listen` is set. Throws `MetricsListenError` when it cannot listen (the
 * daemon exits 1 with that line).
 *
 * @example
 * ```ts ignore
 * const metrics = startMetrics(sync, { listen: config.metrics.listen, log });
 * try {
 *   // run the loop
 * } finally {
 *   await metrics.close();
 * }
 * ```
 */
export function startMetrics(
  sync: ObservedEngine,
  options: StartMetricsOptions,
): RunningMetrics {
  const registry = new MetricRegistry();
  const engine = new EngineMetrics({ queueDepth: options.queueDepth });
  const ports = new PortMetrics();
  registerAll(registry, {
    engine,
    ports,
    counters: sync.counters,
    warmRestart: options.warmRestart,
  });
  const server = options.listen === ""
    ? null
    : serveMetrics(registry, { listen: options.listen, log: options.log });
  const unobserve = sync.observe(engine);
  const unobservePorts = sync.observe(ports);
  return {
    registry,
    engine,
    ports,
    server,
    async close() {
      unobserve();
      unobservePorts();
      await server?.close();
    },
  };
}

/** Everything a registry holds, from its sources. */
interface RegistrySources {
  engine: EngineMetrics;
  ports: PortMetrics;
  counters: SyncCounters;
  warmRestart?: WarmRestartSource;
}

function registerAll(registry: MetricRegistry, sources: RegistrySources): void {
  registerEngine(registry, sources.engine, { counters: sources.counters });
  registerPorts(registry, sources.ports);
  if (sources.warmRestart !== undefined) {
    registerWarmRestart(registry, sources.warmRestart);
  }
  registerProcess(registry);
}

/**
 * The rule-facing name of every metric a running daemon has (for checking
 * alert rules before anything runs, as `--check-config` does).
 *
 * @example
 * ```ts
 * import { metricRuleNames } from "./server.ts";
 * metricRuleNames().includes("ports_oper_down"); // true
 * ```
 */
export function metricRuleNames(): string[] {
  const registry = new MetricRegistry();
  registerAll(registry, {
    engine: new EngineMetrics(),
    ports: new PortMetrics(),
    counters: newCounters(),
    warmRestart: { counters: emptyCounters(), healthScore: () => 1 },
  });
  return registry.describe().map((info) => info.rule);
}
