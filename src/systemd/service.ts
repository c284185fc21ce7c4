/**
 * The daemon's life under systemd (`Type=notify`): `READY=1` once the
 * start-up dump is reconciled with STATE_DB (and start-up, PortConfigDone
 * included, is done), `STATUS=` on change and every few seconds,
 * `WATCHDOG=1` every `$WATCHDOG_USEC`/2 while the event loop turns,
 * `STOPPING=1` when shutdown begins; and a second SIGTERM/SIGINT during
 * shutdown exits at once. Without `$NOTIFY_SOCKET` nothing is sent.
 * @module
 */

import type { Components } from "../daemon/components.ts";
import type { Logger } from "../log/mod.ts";
import { RedisStore } from "../store/redis_store.ts";
import type { Store } from "../store/types.ts";
import type { PortSync } from "../sync/port_sync.ts";
import { SystemdNotifier } from "./notifier.ts";
import {
  type NotifyEnv,
  NotifySocketError,
  statusDue,
  type StatusFacts,
  statusLine,
  watchdogIntervalMs,
} from "./protocol.ts";

/** How often the STATUS line is checked for a change. */
export const STATUS_CHECK_MS = 1000;
/** An unchanged STATUS line is sent again after this long. */
export const STATUS_REPEAT_MS = 5000;

/** What the service watches. */
export interface SystemdTargets {
  /** The engine (its first `reconciled` report gates READY). */
  sync: Pick<PortSync, "observe">;
  /** The daemon's stop signal; its abort is the start of shutdown. */
  signal: AbortSignal;
  /** The facts for the STATUS line, read when a line is due. */
  facts: () => StatusFacts;
  /** Store writes not yet acknowledged (a second stop signal's exit code). */
  pendingWrites: () => number;
  /** Logger. */
  log: Logger;
}

/** Options of {@linkcode startSystemd}. */
export interface SystemdOptions {
  /** The environment (default: the process's). */
  env?: NotifyEnv;
  /** Our pid, for `$WATCHDOG_PID` (default: `Deno.pid`). */
  pid?: number;
}

/** The running service, from {@linkcode startSystemd}. */
export interface SystemdService {
  /** Start-up is done: READY=1 goes as soon as the first reconcile is, too. */
  ready(): void;
  /** Stops timers and signal handlers and closes the socket. */
  close(): void;
}

function readEnv(): NotifyEnv {
  return {
    NOTIFY_SOCKET: Deno.env.get("NOTIFY_SOCKET"),
    WATCHDOG_USEC: Deno.env.get("WATCHDOG_USEC"),
    WATCHDOG_PID: Deno.env.get("WATCHDOG_PID"),
  };
}

function openNotifier(env: NotifyEnv, log: Logger): SystemdNotifier | null {
  try {
    return SystemdNotifier.open(env.NOTIFY_SOCKET);
  } catch (error) {
    if (!(error instanceof NotifySocketError)) throw error;
    log.warn(`systemd: ${error.message}; not notifying`);
    return null;
  }
}

/**
 * Starts the service; call it before `sync.start()` so that the first
 * reconcile is seen, and `ready()` once start-up is done.
 *
 * The heartbeat is a timer callback: the event loop itself must service it,
 * so a loop blocked by a busy task (or a stopped process) sends nothing and
 * systemd's watchdog fires.
 *
 * @example
 * ```ts ignore
 * const systemd = startSystemd({ sync, signal, facts, pendingWrites, log });
 * await sync.start();
 * systemd.ready();
 * ```
 */
export function startSystemd(
  targets: SystemdTargets,
  options: SystemdOptions = {},
): SystemdService {
  const { sync, signal, log } = targets;
  const env = options.env ?? readEnv();
  const notifier = openNotifier(env, log);
  const timers: ReturnType<typeof setInterval>[] = [];
  const signalHandlers: [Deno.Signal, () => void][] = [];
  let reconciled = false;
  let startedUp = false;
  let readySent = false;
  const last = { line: null as string | null, sentAt: null as number | null };

  const sendStatus = (force: boolean): void => {
    const line = statusLine(targets.facts());
    const now = performance.now();
    if (!force && !statusDue(line, last, { now, everyMs: STATUS_REPEAT_MS })) {
      return;
    }
    if (notifier?.send(`STATUS=${line}`)) {
      last.line = line;
      last.sentAt = now;
    }
  };

  const every = (ms: number, tick: () => void): void => {
    timers.push(setInterval(tick, ms));
  };

  const stopTimers = (): void => {
    for (const id of timers) clearInterval(id);
    timers.length = 0;
  };

  const sendReady = (): void => {
    if (readySent || !reconciled || !startedUp || signal.aborted) return;
    readySent = true;
    if (notifier === null) return;
    const line = statusLine(targets.facts());
    notifier.send(`READY=1\nSTATUS=${line}`);
    last.line = line;
    last.sentAt = performance.now();
    log.info("systemd: READY=1 sent", { status: line });
    every(STATUS_CHECK_MS, () => sendStatus(false));
  };

  const unobserve = sync.observe({
    reconciled() {
      if (reconciled) return;
      reconciled = true;
      sendReady();
    },
  });

  const watchdogMs = notifier === null
    ? null
    : watchdogIntervalMs(env, options.pid ?? Deno.pid);
  if (watchdogMs !== null) {
    every(watchdogMs, () => notifier?.send("WATCHDOG=1"));
  }

  let arming: ReturnType<typeof setTimeout> | undefined;
  const onStop = (): void => {
    unobserve();
    stopTimers();
    notifier?.send("STOPPING=1\nSTATUS=shutting down");
    // Only a real stop signal (installProcessSignals aborts with its name)
    // arms the second-signal exit; an in-process caller's abort does not.
    const reason = signal.reason;
    if (reason !== "SIGTERM" && reason !== "SIGINT") return;
    // The first signal is still being dispatched to its listeners (a
    // listener added now would see it too): only a later one counts.
    let armed = false;
    arming = setTimeout(() => armed = true, 0);
    for (const name of ["SIGTERM", "SIGINT"] as const) {
      const handler = () => {
        if (!armed) return;
        const pending = targets.pendingWrites();
        log.warn(`${name} again: exiting at once`, { pending_writes: pending });
        Deno.exit(pending > 0 ? 1 : 0);
      };
      Deno.addSignalListener(name, handler);
      signalHandlers.push([name, handler]);
    }
  };
  if (signal.aborted) onStop();
  else signal.addEventListener("abort", onStop, { once: true });

  return {
    ready() {
      startedUp = true;
      sendReady();
    },
    close() {
      signal.removeEventListener("abort", onStop);
      unobserve();
      stopTimers();
      clearTimeout(arming);
      for (const [name, handler] of signalHandlers) {
        Deno.removeSignalListener(name, handler);
      }
      signalHandlers.length = 0;
      notifier?.close();
    },
  };
}

/** Where the STATUS facts come from (the daemon's components). */
export interface StatusSources {
  /** Per port: 1 when down, 0 when up (`PortMetrics.down()`). */
  down: () => Map<string, number>;
  /** Link messages per second over the last 10 s. */
  eventsPerSecond: () => number;
  /** The health monitor's last status, or null. */
  health: () => string | null;
  /** Firing alerts, or null without alerting. */
  firingAlerts: () => number | null;
}

/** Builds the STATUS facts reader from the sources. */
export function statusFacts(sources: StatusSources): () => StatusFacts {
  return () => {
    let up = 0;
    const down = sources.down();
    for (const flag of down.values()) if (flag === 0) up++;
    return {
      portsUp: up,
      portsTotal: down.size,
      eventsPerSecond: sources.eventsPerSecond(),
      health: sources.health(),
      firingAlerts: sources.firingAlerts(),
    };
  };
}

/** Write commands a Redis store has queued and not had answered (0 for memory). */
export function pendingWrites(store: Store): number {
  if (!(store instanceof RedisStore)) return 0;
  let total = 0;
  for (const count of Object.values(store.pending())) total += count;
  return total;
}

/** What {@linkcode startDaemonSystemd} wires together. */
export interface DaemonSystemdTargets {
  /** The engine. */
  sync: PortSync;
  /** The store. */
  store: Store;
  /** The running components (metrics, health, alerting). */
  components: Components;
  /** The daemon's stop signal. */
  signal: AbortSignal;
  /** Logger. */
  log: Logger;
}

/**
 * {@linkcode startSystemd} fed by the daemon's components: ports up from the
 * port metrics, events/s over 10 s, the health monitor's status and firing
 * alerts for STATUS; the store's unanswered writes for a second signal.
 */
export function startDaemonSystemd(
  targets: DaemonSystemdTargets,
  options: SystemdOptions = {},
): SystemdService {
  const { sync, store, components, signal, log } = targets;
  const facts = statusFacts({
    down: () => components.metrics.ports.down(),
    eventsPerSecond: () => components.metrics.engine.eventsPerSecond(10),
    health: () => components.health.last?.status ?? null,
    firingAlerts: () => components.firingAlerts(),
  });
  return startSystemd({
    sync,
    signal,
    facts,
    pendingWrites: () => pendingWrites(store),
    log,
  }, options);
}
