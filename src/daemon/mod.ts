/**
 * The daemon: wires the store, the link socket, the port sync engine and its
 * loop together, and owns start-up order and shutdown (SIGTERM / SIGINT).
 * @module
 */

import { REQUIRED_DATABASES, type Settings } from "../cli/settings.ts";
import type { Logger } from "../log/mod.ts";
import { LinkSocket, netnsPath } from "../netlink/socket.ts";
import { SyscallError } from "../../ffi/errno.ts";
import { openStore } from "../store/open_store.ts";
import type { Store } from "../store/types.ts";
import { SyncLoop } from "../sync/loop.ts";
import { PortSync } from "../sync/port_sync.ts";

/** How long shutdown may take before the daemon gives up flushing. */
export const SHUTDOWN_DEADLINE_MS = 1800;

/** Options of {@linkcode runDaemon}. */
export interface DaemonOptions {
  /**
   * Store backend to open, or an open store to use (the caller keeps it:
   * the daemon does not close a store it did not open).
   */
  store: "redis" | "memory" | Store;
  /** Logger. */
  log: Logger;
  /** Stops the daemon (default: SIGTERM and SIGINT). */
  signal?: AbortSignal;
  /** Called once start-up is complete (the later systemd notifier hooks in here). */
  onReady?: (sync: PortSync) => void;
}

function signalsController(): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  return {
    controller,
    dispose() {
      Deno.removeSignalListener("SIGTERM", stop);
      Deno.removeSignalListener("SIGINT", stop);
    },
  };
}

async function connectStore(
  settings: Settings,
  options: DaemonOptions,
): Promise<Store> {
  if (typeof options.store === "object") return options.store;
  const { store: storeConfig } = settings.config;
  const log = options.log;
  return await openStore(options.store, settings.dbConfig, {
    redis: {
      databases: REQUIRED_DATABASES,
      maxPendingWrites: storeConfig.max_pending_writes,
      backoff: {
        initialMs: storeConfig.reconnect_initial_ms,
        maxMs: storeConfig.reconnect_max_ms,
      },
      onLog: (level, message) => log[level](message),
    },
  });
}

/** Raised when the daemon cannot start; the message is one line. */
export class DaemonError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DaemonError";
  }
}

function openLinkSocket(settings: Settings): LinkSocket {
  const { netlink } = settings.config;
  const netns = netlink.namespace === "" ? undefined : netlink.namespace;
  try {
    return LinkSocket.open({
      receiveBufferBytes: netlink.receive_buffer_bytes,
      netns,
    });
  } catch (error) {
    if (!(error instanceof SyscallError)) throw error;
    const where = netns === undefined ? "" : ` in ${netnsPath(netns)}`;
    throw new DaemonError(
      `cannot open the netlink link socket${where}: ${error.message}`,
      { cause: error },
    );
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

/**
 * Runs port sync until stopped; resolves with the exit code: 0 after a clean
 * shutdown with every write flushed, 1 when the shutdown deadline passed
 * with writes still pending (e.g. Redis unreachable).
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
  const signals = options.signal === undefined ? signalsController() : null;
  const signal = options.signal ?? signals!.controller.signal;
  const deadline = deadlineAfter(signal, SHUTDOWN_DEADLINE_MS);
  const store = await connectStore(settings, options);
  let socket: LinkSocket | null = null;
  let outcome: "done" | "late" = "done";
  try {
    socket = openLinkSocket(settings);
    const sync = new PortSync(store, {
      links: socket,
      log,
      maxBatch: config.sync.max_batch,
    });
    const loop = new SyncLoop(sync, { links: socket, log });
    store.onReconnect(() => {
      sync.counters.reconnects++;
      loop.requestResync("store reconnect");
    });
    const started = await sync.start();
    log.info("portsyncd started", {
      store: store.kind,
      warm: started.warm,
      receive_buffer_bytes: socket.receiveBufferBytes,
    });
    options.onReady?.(sync);
    outcome = await Promise.race([
      loop.run(signal).then(() => "done" as const),
      deadline.late,
    ]);
    log.info("shutting down", { counters: JSON.stringify(sync.counters) });
  } finally {
    signals?.dispose();
    socket?.close();
    if (outcome === "done" && typeof options.store !== "object") {
      outcome = await Promise.race([
        store.close().then(() => "done" as const),
        deadline.late,
      ]);
    }
    deadline.cancel();
  }
  if (outcome === "late") {
    log.error("shutdown deadline passed with store writes still pending");
    return 1;
  }
  return 0;
}
