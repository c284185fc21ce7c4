/**
 * Start-up steps that wait (a Redis connect, the first reads and writes):
 * each is announced, reported again while it is slow, and abandoned the
 * moment the daemon is told to stop, so SIGTERM ends start-up at any stage.
 * @module
 */

import type { Logger } from "../log/mod.ts";

/** First "still waiting" report after this long; then at doubling intervals. */
export const STARTUP_SLOW_MS = 2000;
/** Longest interval between two "still waiting" reports (they double up to it). */
const SLOW_REPORT_MAX_MS = 60_000;

/** Raised when a start-up step was abandoned because the daemon is stopping. */
export class StartupAborted extends Error {
  /** The step that was waiting, e.g. `connecting to redis ...`. */
  readonly step: string;

  /** Creates the error for `step`; `reason` is the abort signal's reason. */
  constructor(step: string, reason: unknown) {
    super(`stopped (${String(reason)}) while ${step}`);
    this.name = "StartupAborted";
    this.step = step;
  }
}

/** Options of {@linkcode startupStep}. */
export interface StartupStepOptions {
  /** Aborting abandons the step at once (it rejects with {@linkcode StartupAborted}). */
  signal: AbortSignal;
  /** Where the step is announced and reported while slow. */
  log: Pick<Logger, "info" | "warn">;
  /** Extra detail for the "still waiting" line, e.g. unanswered commands. */
  detail?: () => string;
  /** First "still waiting" report after this many ms (default 2000). */
  slowMs?: number;
}

/**
 * Logs `step` (info), then waits for `work` unless `options.signal` aborts
 * first; while it waits, logs `still waiting after N s: <step>` (warn) after
 * 2 s, 4 s, 8 s ... An abandoned `work` keeps running, but whatever it
 * settles with later is dropped (never an unhandled rejection).
 *
 * @example
 * ```ts
 * import { startupStep } from "./startup_step.ts";
 * import { RedisStore } from "../store/redis_store.ts";
 * import type { DbConfig } from "../config/db_config.ts";
 * import type { Logger } from "../log/mod.ts";
 * declare const config: DbConfig, signal: AbortSignal, log: Logger;
 * const store = await startupStep("connecting to redis", RedisStore.connect(config), {
 *   signal,
 *   log,
 * });
 * ```
 */
export function startupStep<T>(
  step: string,
  work: Promise<T>,
  options: StartupStepOptions,
): Promise<T> {
  const { signal, log } = options;
  log.info(step);
  const started = performance.now();
  let reportAt = options.slowMs ?? STARTUP_SLOW_MS;
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(new StartupAborted(step, signal.reason));
    };
    const slow = () => {
      const seconds = Math.round((performance.now() - started) / 1000);
      const detail = options.detail?.() ?? "";
      log.warn(
        `still waiting after ${seconds} s: ${step}${
          detail === "" ? "" : ` (${detail})`
        }`,
      );
      const next = Math.min(reportAt * 2, reportAt + SLOW_REPORT_MAX_MS);
      timer = setTimeout(slow, next - reportAt);
      reportAt = next;
    };
    if (signal.aborted) {
      onAbort();
    } else {
      signal.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(slow, reportAt);
    }
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error) => {
        cleanup();
        reject(error);
      },
    );
  });
}
