/**
 * Warm restart, wired: reads the state file, continues its counters,
 * watches the engine, saves the state file after the start-up dump ends,
 * every `saveIntervalMs` and at close.
 * @module
 */

import type { LinkEvent } from "../netlink/types.ts";
import type { Logger } from "../log/mod.ts";
import type { SyncObserver } from "../sync/observer.ts";
import { WarmRestartMetrics, type WarmRestartSource } from "./metrics.ts";
import { WarmRestartObserver } from "./observer.ts";
import { portsFromLinks } from "./port_state.ts";
import type { StateBody } from "./state_codec.ts";
import { type LoadedState, StateFile } from "./state_file.ts";

/** What warm restart needs of the engine (`PortSync` has both). */
export interface WarmRestartEngine {
  /** Registers an observer; returns a function that removes it. */
  observe(observer: SyncObserver): () => void;
  /** The kernel's ports as the engine last heard them. */
  readonly links: ReadonlyMap<string, LinkEvent>;
}

/** Options of {@linkcode startWarmRestart}. */
export interface WarmRestartOptions {
  /** `[warm_restart] state_dir`; empty: no state file (metrics only). */
  stateDir: string;
  /** `[netlink] namespace` (`""`: portsyncd's own); names the file. Default `""`. */
  namespace?: string;
  /** `[warm_restart] save_interval_ms`. */
  saveIntervalMs: number;
  /** `[warm_restart] eoiu_timeout_ms`. */
  eoiuTimeoutMs: number;
  /** Logger. */
  log: Logger;
  /** Milliseconds of a monotonic clock for durations (default `performance.now`). */
  clock?: () => number;
}

/** A running warm restart. */
export interface WarmRestart {
  /** The counters and the health score, for the metric registry. */
  readonly metrics: WarmRestartSource;
  /** The state file's path, or null when the file is off. */
  readonly file: string | null;
  /**
   * Saves the state file now (after any save under way); resolves false
   * when it could not be written (logged) or the file is off.
   */
  save(): Promise<boolean>;
  /** Stops the timers and the observer, then saves (never rejects). */
  close(): Promise<void>;
}

const NOTHING_LOADED: LoadedState = {
  body: null,
  source: null,
  reads: 0,
  corrupt: 0,
};

/**
 * Starts warm restart for `sync`: call it after the engine is built and
 * before `sync.start()` (so the start-up is seen), and `close()` it at
 * shutdown before the store closes. Never throws for file problems: a
 * missing, corrupt or unwritable state file is logged (one line) and the
 * daemon runs on.
 *
 * @example
 * ```ts
 * import { startWarmRestart } from "./start.ts";
 * import type { Logger } from "../log/mod.ts";
 * import type { PortSync } from "../sync/port_sync.ts";
 * declare const sync: PortSync;
 * declare const log: Logger;
 * const warm = await startWarmRestart(sync, {
 *   stateDir: "/var/lib/sonic/portsyncd",
 *   saveIntervalMs: 60_000,
 *   eoiuTimeoutMs: 30_000,
 *   log,
 * });
 * await sync.start();
 * // ... run ...
 * await warm.close();
 * ```
 */
export async function startWarmRestart(
  sync: WarmRestartEngine,
  options: WarmRestartOptions,
): Promise<WarmRestart> {
  const namespace = options.namespace ?? "";
  const { log } = options;
  const file = options.stateDir === ""
    ? null
    : new StateFile(options.stateDir, { namespace, log });
  let loaded = NOTHING_LOADED;
  if (file === null) {
    log.info("warm-restart state file off (state_dir is empty)");
  } else if (await file.prepare()) {
    loaded = await file.load();
  } // else: logged; a directory that cannot be created holds no file.
  const metrics = new WarmRestartMetrics({
    eoiuTimeoutMs: options.eoiuTimeoutMs,
    counters: loaded.body?.metrics,
  });
  for (let read = 0; read < loaded.reads; read++) {
    metrics.recordRead(read < loaded.corrupt);
  }
  const saved = loaded.body?.ports ?? null;

  // Until the start-up dump ended, the engine's view is incomplete: the
  // saved ports are carried forward instead.
  function body(): StateBody {
    return {
      namespace,
      saved_at: new Date().toISOString(),
      metrics: { ...metrics.counters },
      ports: metrics.eoiuSeen ? portsFromLinks(sync.links) : [...saved ?? []],
    };
  }
  let saving: Promise<boolean> = Promise.resolve(false);
  function save(): Promise<boolean> {
    if (file === null) return Promise.resolve(false);
    saving = saving.then(() => file.save(body()));
    return saving;
  }

  const observer = new WarmRestartObserver(metrics, {
    links: () => sync.links,
    saved,
    log,
    clock: options.clock,
    onEoiu: () => void save(),
  });
  const unobserve = sync.observe(observer);
  const interval = file === null
    ? undefined
    : setInterval(() => void save(), options.saveIntervalMs);
  let closing: Promise<void> | null = null;

  return {
    metrics,
    file: file?.path ?? null,
    save,
    close() {
      closing ??= (async () => {
        clearInterval(interval);
        observer.close();
        unobserve();
        await save();
      })();
      return closing;
    },
  };
}
