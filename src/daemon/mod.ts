/**
 * The daemon: wires the store, the link socket, the port sync engine and its
 * loop together, and owns start-up order and shutdown. Start-up opens the
 * namespace's link socket, takes the namespace lock (one portsyncd per
 * namespace), watches the namespace file, then connects to Redis and runs
 * port sync's start-up; every wait is abandoned as soon as the stop signal
 * aborts, so SIGTERM ends start-up at any stage.
 * @module
 */

import { REQUIRED_DATABASES, type Settings } from "../config/settings.ts";
import type { DbConfig } from "../config/db_config.ts";
import type { Logger } from "../log/mod.ts";
import { netnsPath, NotNetnsError } from "../netlink/netns.ts";
import { LinkSocket } from "../netlink/socket.ts";
import { SyscallError } from "../../ffi/errno.ts";
import { openStore } from "../store/open_store.ts";
import { RedisStore } from "../store/redis_store.ts";
import type { Store } from "../store/types.ts";
import { SyncLoop } from "../sync/loop.ts";
import { PortSync } from "../sync/port_sync.ts";
import { type Components, startComponents } from "./components.ts";
import { DaemonError } from "./errors.ts";
import {
  LockFileError,
  LockHeldError,
  lockNamespace,
  type NamespaceLock,
} from "./lock.ts";
import {
  describeNetnsChange,
  type NetnsWatch,
  watchNetns,
} from "./netns_watch.ts";
import { installProcessSignals } from "./signals.ts";
import { StartupAborted, startupStep } from "./startup_step.ts";
import type { SettingsSource } from "../config/settings.ts";
import type { ControlledLogger } from "../log/mod.ts";
import { openLogOutput } from "../log/syslog.ts";
import type { ConfigFollower } from "../alerting/config_follower.ts";
import { followLogLevel, LogLevelControl } from "./log_level.ts";
import { createReloader } from "./reload.ts";
import type { ProcessSignals } from "./signals.ts";
import { startDaemonSystemd, type SystemdService } from "../systemd/service.ts";

/**
 * How long shutdown may take before the daemon gives up flushing; with the
 * process's own exit it keeps SIGTERM-to-exit under 2 s at every stage.
 */
export const SHUTDOWN_DEADLINE_MS = 1500;

/** Options of {@linkcode runDaemon}. */
export interface DaemonOptions {
  /**
   * Store backend to open, or an open store to use (the caller keeps it:
   * the daemon does not close a store it did not open).
   */
  store: "redis" | "memory" | Store;
  /** Logger (its level follows CONFIG_DB `LOGGER|portsyncd` and reloads). */
  log: ControlledLogger;
  /** SIGHUP reloads the settings from `source` (none without it). */
  reload?: {
    source: SettingsSource;
    signals: Pick<ProcessSignals, "setReload">;
  };
  /**
   * Stops the daemon (default: the process's SIGTERM / SIGINT, from
   * `installProcessSignals`).
   */
  signal?: AbortSignal;
  /** Called once start-up is complete (the later systemd notifier hooks in here). */
  onReady?: (sync: PortSync) => void;
}

export { DaemonError };

/** `APPL_DB, CONFIG_DB, STATE_DB at unix:/run/redis.sock` (grouped by endpoint). */
function describeRedis(dbConfig: DbConfig, names: readonly string[]): string {
  const byEndpoint = new Map<string, string[]>();
  for (const name of names) {
    const instance = dbConfig.databases.get(name)?.instance;
    if (instance === undefined) continue;
    const endpoint = instance.unixSocketPath !== null
      ? `unix:${instance.unixSocketPath}`
      : `tcp:${instance.hostname}:${instance.port}`;
    byEndpoint.set(endpoint, [...byEndpoint.get(endpoint) ?? [], name]);
  }
  return [...byEndpoint].map(([endpoint, databases]) =>
    `${databases.join(", ")} at ${endpoint}`
  ).join("; ");
}

/** `unanswered redis commands: STATE_DB=3`, or "" (for slow start-up steps). */
function unanswered(store: Store | null): string {
  if (!(store instanceof RedisStore)) return "";
  const busy = Object.entries(store.pending())
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name}=${count}`);
  return busy.length === 0
    ? ""
    : `unanswered redis commands: ${busy.join(" ")}`;
}

async function connectStore(
  settings: Settings,
  options: DaemonOptions & { signal: AbortSignal },
): Promise<Store> {
  if (typeof options.store === "object") return options.store;
  const { store: storeConfig } = settings.config;
  const log = options.log;
  const opening = openStore(options.store, settings.dbConfig, {
    redis: {
      databases: REQUIRED_DATABASES,
      maxPendingWrites: storeConfig.max_pending_writes,
      backoff: {
        initialMs: storeConfig.reconnect_initial_ms,
        maxMs: storeConfig.reconnect_max_ms,
      },
      commandTimeoutMs: storeConfig.command_timeout_ms,
      signal: options.signal,
      onLog: (level, message) => log[level](message),
    },
  });
  if (options.store === "memory") return await opening;
  const step = `connecting to redis ${
    describeRedis(settings.dbConfig, REQUIRED_DATABASES)
  }`;
  try {
    return await startupStep(step, opening, options);
  } catch (error) {
    // A connect that completes after the daemon gave up is closed at once.
    if (error instanceof StartupAborted) {
      opening.then((late) => late.close()).catch(() => {});
    }
    throw error;
  }
}

function openLinkSocket(settings: Settings): LinkSocket {
  const { netlink } = settings.config;
  const netns = netlink.namespace === "" ? undefined : netlink.namespace;
  try {
    return LinkSocket.open({
      receiveBufferBytes: netlink.receive_buffer_bytes,
      netns,
      coalesceUs: netlink.coalesce_us,
    });
  } catch (error) {
    if (!(error instanceof SyscallError || error instanceof NotNetnsError)) {
      throw error;
    }
    const where = netns === undefined ? "" : ` in ${netnsPath(netns)}`;
    throw new DaemonError(
      `cannot open the netlink link socket${where}: ${error.message}`,
      { cause: error },
    );
  }
}

function takeLock(settings: Settings, socket: LinkSocket): NamespaceLock {
  try {
    return lockNamespace(socket.netns, {
      dir: settings.config.daemon.lock_dir,
      namespace: settings.config.netlink.namespace,
    });
  } catch (error) {
    if (error instanceof LockHeldError || error instanceof LockFileError) {
      throw new DaemonError(error.message, { cause: error });
    }
    throw error;
  }
}

/** Resolves `late` once `ms` have passed after the signal aborted. */
function deadlineAfter(signal: AbortSignal, ms: number): {
  late: Promise<"late">;
  cancel(): void;
} {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const late = new Promise<"late">((resolve) => {
    onAbort = () => timer = setTimeout(() => resolve("late"), ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  return {
    late,
    cancel() {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    },
  };
}

/** Runs `stop`'s abort (with the change's line logged) when the namespace goes. */
function watchNamespace(
  settings: Settings,
  socket: LinkSocket,
  options: { log: Logger; fatal: AbortController },
): NetnsWatch | null {
  const namespace = settings.config.netlink.namespace;
  if (namespace === "") return null;
  const path = netnsPath(namespace);
  return watchNetns(path, socket.netns, {
    onChange(change) {
      options.log.error(describeNetnsChange(change, { namespace, path }));
      options.fatal.abort(`network namespace ${change.kind}`);
    },
  });
}

/**
 * Runs port sync until stopped; resolves with the exit code: 0 after a clean
 * shutdown with every write flushed (also when stopped during start-up), 1
 * when the shutdown deadline passed with writes still pending (e.g. Redis
 * unreachable) or the watched namespace was deleted or replaced. Raises
 * `DaemonError` (one line) when it cannot start: namespace unusable,
 * another portsyncd on the namespace, Redis refusing connections.
 *
 * @example
 * ```ts ignore
 * const code = await runDaemon(settings, { store: "redis", log });
 * ```
 */
export async function runDaemon(
  settings: Settings,
  options: DaemonOptions,
): Promise<number> {
  const { config } = settings;
  const log = options.log;
  const fatal = new AbortController();
  const signal = AbortSignal.any([
    options.signal ?? installProcessSignals().signal,
    fatal.signal,
  ]);
  if (signal.aborted) {
    log.info("stopped before start-up began");
    return 0;
  }
  const deadline = deadlineAfter(signal, SHUTDOWN_DEADLINE_MS);
  let socket: LinkSocket | null = null;
  let lock: NamespaceLock | null = null;
  let watch: NetnsWatch | null = null;
  let store: Store | null = null;
  let components: Components | null = null;
  let systemd: SystemdService | null = null;
  let outcome: "done" | "late" = "done";
  // Log level and destination (reload, CONFIG_DB LOGGER|portsyncd).
  let logLevelFollower: ConfigFollower | null = null;
  const levels = new LogLevelControl(log, config.log.level);
  if (config.log.destination === "syslog") {
    log.setOutput(openLogOutput(config.log));
  }
  try {
    socket = openLinkSocket(settings);
    lock = takeLock(settings, socket);
    watch = watchNamespace(settings, socket, { log, fatal });
    store = await connectStore(settings, { ...options, signal });
    const sync = new PortSync(store, {
      links: socket,
      log,
      maxBatch: config.sync.max_batch,
    });
    const loop = new SyncLoop(sync, {
      links: socket,
      log,
      verifyIntervalMs: config.sync.verify_interval_ms,
      retry: {
        initialMs: config.store.reconnect_initial_ms,
        maxMs: config.store.reconnect_max_ms,
      },
    });
    loop.followStore(store);
    // Warm restart, metrics, health: before start() to see the start-up.
    components = await startComponents(settings, { sync, loop, store, log });
    options.reload?.signals.setReload(createReloader(settings, {
      source: options.reload.source,
      log,
      levels,
      setFileRules: (rules) => components?.setFileRules(rules),
    }));
    // systemd: READY=1 after the first reconcile, STATUS, WATCHDOG, STOPPING.
    systemd = startDaemonSystemd({ sync, store, components, signal, log });
    const started = await startupStep(
      "port sync start-up: warm-start check (STATE_DB), port configuration (CONFIG_DB), publish (APPL_DB)",
      sync.start(),
      { signal, log, detail: () => unanswered(store) },
    );
    log.info("portsyncd started", {
      store: store.kind,
      warm: started.warm,
      receive_buffer_bytes: socket.receiveBufferBytes,
      lock: lock.path,
    });
    await startupStep(
      "alerting start-up: rules and suppressions (CONFIG_DB)",
      components.startAlerting(),
      { signal, log, detail: () => unanswered(store) },
    );
    components.health.start();
    const configDb = settings.dbConfig.databases.get("CONFIG_DB");
    if (store.kind === "redis" && configDb !== undefined) {
      logLevelFollower = await startupStep(
        "log level (CONFIG_DB LOGGER|portsyncd)",
        followLogLevel(levels, {
          config: store.db("CONFIG_DB"),
          log,
        }),
        { signal, log },
      );
    }
    options.onReady?.(sync);
    systemd.ready();
    outcome = await Promise.race([
      loop.run(signal).then(() => "done" as const),
      deadline.late,
    ]);
    log.info("shutting down", { counters: JSON.stringify(sync.counters) });
  } catch (error) {
    if (!(error instanceof StartupAborted)) throw error;
    log.info(`start-up abandoned while ${error.step}`);
  } finally {
    options.reload?.signals.setReload(null);
    await logLevelFollower?.close();
    await components?.close();
    watch?.stop();
    socket?.close();
    if (
      store !== null && outcome === "done" && typeof options.store !== "object"
    ) {
      outcome = await Promise.race([
        store.close().then(() => "done" as const),
        deadline.late,
      ]);
    }
    deadline.cancel();
    // Last: the next instance may start only once this one stopped writing.
    lock?.release();
    systemd?.close();
  }
  if (outcome === "late") {
    log.error("shutdown deadline passed with store writes still pending");
    return 1;
  }
  return fatal.signal.aborted ? 1 : 0;
}
