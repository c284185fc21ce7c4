/**
 * The process's signal handling, installed once, first thing, by `main.ts`
 * (for the daemon and `--monitor` alike) before anything waits:
 *
 * - SIGTERM, SIGINT: abort {@linkcode ProcessSignals.signal} (clean stop).
 * - SIGHUP: runs the reload the daemon registered with `setReload` (the
 *   config file re-read and applied); before that, and in `--monitor`,
 *   logged and survived.
 * - SIGUSR2, SIGQUIT: logged and ignored.
 * - SIGUSR1: discarded by the kernel (`SIG_IGN`). Deno (2.9.2 and later)
 *   starts the V8 inspector on 127.0.0.1:9229 when a process gets SIGUSR1,
 *   which would give anyone on the box a debugger inside a root daemon; a JS
 *   listener does not stop that, an ignored disposition does.
 * - SIGPIPE: ignored (`SIG_IGN`), never logged (a broken stderr would
 *   otherwise log its own SIGPIPEs).
 *
 * This module imports nothing at run time but `ffi/`, so `main.ts` can
 * install it before the rest of the program is even loaded.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import { ignoreSignal, SIGPIPE, SIGUSR1 } from "../../ffi/mod.ts";

/** Signals that stop the daemon cleanly. */
export const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT"];

/** Signals that are logged and otherwise ignored, with their log line. */
export const LOGGED_SIGNALS: Readonly<Record<string, string>> = {
  SIGUSR2: "SIGUSR2: ignored",
  SIGQUIT: "SIGQUIT: ignored",
};

/** SIGHUP's line while no reload is registered. */
export const HANGUP_IGNORED =
  "SIGHUP: nothing to reload (no running daemon); ignored";

/** Where signal notes go: the daemon's logger once it exists. */
export type SignalLog = Pick<Logger, "info" | "warn">;

/** The process's signal handling, from {@linkcode installProcessSignals}. */
export interface ProcessSignals {
  /** Aborted by the first SIGTERM or SIGINT; its reason is the signal's name. */
  readonly signal: AbortSignal;
  /**
   * True when SIGUSR1 and SIGPIPE are set to `SIG_IGN` (false only when
   * `--allow-ffi` was not granted; nothing that needs FFI can run then).
   */
  readonly ignoring: boolean;
  /** Sends later notes to `log` (the configured logger). */
  setLog(log: SignalLog): void;
  /** What SIGHUP runs (null: logged and ignored). */
  setReload(reload: (() => Promise<void>) | null): void;
}

const encoder = new TextEncoder();

/** Until the configured logger exists: the same `LEVEL message` lines. */
const STDERR_LOG: SignalLog = {
  info: (message) => writeLine(`INFO ${message}`),
  warn: (message) => writeLine(`WARN ${message}`),
};

function writeLine(line: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // stderr is gone: nothing useful to do with a note.
  }
}

let installed: ProcessSignals | null = null;

function ffiGranted(): boolean {
  return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
}

/**
 * Installs the process's signal handling (once; later calls return the same
 * object). Call it before anything waits, so that SIGTERM can stop every
 * stage of start-up.
 *
 * The listeners stay for the life of the process: Deno applies a signal's
 * default action (termination, for SIGHUP/SIGUSR2/SIGQUIT) as soon as no
 * listener is left.
 *
 * @example
 * ```ts
 * import { installProcessSignals } from "./signals.ts";
 * import { runDaemon } from "./mod.ts";
 * import type { Settings } from "../config/settings.ts";
 * import type { ControlledLogger } from "../log/mod.ts";
 * declare const settings: Settings, log: ControlledLogger;
 * const signals = installProcessSignals();
 * await runDaemon(settings, { store: "redis", log, signal: signals.signal });
 * ```
 */
export function installProcessSignals(): ProcessSignals {
  if (installed !== null) return installed;
  const controller = new AbortController();
  let log = STDERR_LOG;
  for (const name of STOP_SIGNALS) {
    Deno.addSignalListener(name, () => {
      if (controller.signal.aborted) return;
      log.info(`${name}: shutting down`);
      controller.abort(name);
    });
  }
  let reload: (() => Promise<void>) | null = null;
  Deno.addSignalListener("SIGHUP", () => {
    if (reload === null) return log.warn(HANGUP_IGNORED);
    log.info("SIGHUP: reloading the configuration");
    reload().catch((error) =>
      log.warn(`SIGHUP: reload failed: ${(error as Error)?.message ?? error}`)
    );
  });
  for (const [name, line] of Object.entries(LOGGED_SIGNALS)) {
    Deno.addSignalListener(name as Deno.Signal, () => log.warn(line));
  }
  const ignoring = ffiGranted();
  if (ignoring) ignoreForever();
  installed = {
    signal: controller.signal,
    ignoring,
    setLog(next: SignalLog): void {
      log = next;
    },
    setReload(next): void {
      reload = next;
    },
  };
  return installed;
}

/**
 * SIGUSR1 and SIGPIPE to `SIG_IGN`, for good. For SIGUSR1 the order
 * matters: Deno installs one process-wide handler per signal, the first time
 * anything listens to it, and never again. Listening first makes that
 * happen now; `SIG_IGN` then replaces the handler, and the inspector's own
 * listener (registered about 500 ms after start) finds the signal already
 * set up and installs nothing, so the kernel keeps discarding SIGUSR1.
 */
function ignoreForever(): void {
  Deno.addSignalListener("SIGUSR1", () => {});
  ignoreSignal(SIGUSR1);
  ignoreSignal(SIGPIPE);
}
