/**
 * The Alertmanager sender's options: their types, defaults and validation
 * (one-line errors naming the option), and the retry delay. Pure.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import {
  AlertmanagerOptionError,
  alertsEndpoint,
} from "./alertmanager_payload.ts";

/** The timer functions the sender uses (tests inject a fake clock's). */
export interface AlertmanagerTimers {
  /** Runs `callback` once after `ms`; returns an id for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer by the id `setTimeout` returned. */
  clearTimeout(id: unknown): void;
}

/** Retry delays while Alertmanager is unreachable. */
export interface AlertmanagerBackoff {
  /** Delay before the first retry, in ms (then doubled each time). */
  initialMs: number;
  /** Longest delay, in ms. */
  maxMs: number;
}

/** Options of the `AlertmanagerSender`. */
export interface AlertmanagerSenderOptions {
  /** Alertmanager's base URL, e.g. `http://127.0.0.1:9093`. */
  url: string;
  /** The `instance` label: the switch's hostname. */
  instance: string;
  /** Logger. */
  log: Logger;
  /** Firing alerts are sent again this often, in ms (default 60000). */
  resendMs?: number;
  /** Retry delays (default 1 s doubling to 30 s). */
  backoff?: AlertmanagerBackoff;
  /** Request timeout in ms (default 10000). */
  timeoutMs?: number;
  /** Timeout of the final flush at `close()` in ms (default 2000). */
  closeTimeoutMs?: number;
  /** Changes are gathered this long before a POST, in ms (default 100). */
  batchMs?: number;
  /** Most ended alerts kept undelivered; the oldest go first (default 1000). */
  maxEnded?: number;
  /** HTTP client (tests inject one). */
  fetch?: typeof fetch;
  /** Clock, epoch ms (tests inject one). */
  now?: () => number;
  /** Timers (tests inject a fake clock's). */
  timers?: AlertmanagerTimers;
  /** Random number in [0, 1) for the jitter (tests inject one). */
  random?: () => number;
}

/** The options with their defaults filled in and checked. */
export type ResolvedAlertmanagerOptions =
  & Required<Omit<AlertmanagerSenderOptions, "url">>
  & { endpoint: URL };

/** Defaults of the optional numbers. */
export const ALERTMANAGER_DEFAULTS = {
  resendMs: 60_000,
  backoff: { initialMs: 1_000, maxMs: 30_000 },
  timeoutMs: 10_000,
  closeTimeoutMs: 2_000,
  batchMs: 100,
  maxEnded: 1_000,
} as const;

const REAL_TIMERS: AlertmanagerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

function checked(
  name: string,
  value: number | undefined,
  options: { fallback: number; min: number },
): number {
  const chosen = value ?? options.fallback;
  if (typeof chosen !== "number" || !Number.isFinite(chosen)) {
    throw new AlertmanagerOptionError(
      `alertmanager ${name}: ${String(chosen)} is not a finite number`,
    );
  }
  if (chosen < options.min) {
    throw new AlertmanagerOptionError(
      `alertmanager ${name}: ${chosen} is below ${options.min}`,
    );
  }
  return chosen;
}

/**
 * Fills in the defaults and checks every option; throws
 * {@linkcode AlertmanagerOptionError} naming the first bad one.
 *
 * @example
 * ```ts
 * import { createLogger } from "../log/mod.ts";
 * const options = resolveAlertmanagerOptions({
 *   url: "http://127.0.0.1:9093",
 *   instance: "switch1",
 *   log: createLogger("info"),
 * });
 * console.log(options.resendMs); // 60000
 * ```
 */
export function resolveAlertmanagerOptions(
  options: AlertmanagerSenderOptions,
): ResolvedAlertmanagerOptions {
  const endpoint = alertsEndpoint(options.url);
  if (typeof options.instance !== "string" || options.instance === "") {
    throw new AlertmanagerOptionError(
      "alertmanager instance: must be a non-empty string (the hostname)",
    );
  }
  const defaults = ALERTMANAGER_DEFAULTS;
  const backoff = options.backoff ?? defaults.backoff;
  const initialMs = checked("backoff.initialMs", backoff.initialMs, {
    fallback: defaults.backoff.initialMs,
    min: 1,
  });
  const maxMs = checked("backoff.maxMs", backoff.maxMs, {
    fallback: defaults.backoff.maxMs,
    min: initialMs,
  });
  return {
    endpoint,
    instance: options.instance,
    log: options.log,
    resendMs: checked("resendMs", options.resendMs, {
      fallback: defaults.resendMs,
      min: 1,
    }),
    backoff: { initialMs, maxMs },
    timeoutMs: checked("timeoutMs", options.timeoutMs, {
      fallback: defaults.timeoutMs,
      min: 1,
    }),
    closeTimeoutMs: checked("closeTimeoutMs", options.closeTimeoutMs, {
      fallback: defaults.closeTimeoutMs,
      min: 1,
    }),
    batchMs: checked("batchMs", options.batchMs, {
      fallback: defaults.batchMs,
      min: 0,
    }),
    maxEnded: checked("maxEnded", options.maxEnded, {
      fallback: defaults.maxEnded,
      min: 0,
    }),
    fetch: options.fetch ?? fetch,
    now: options.now ?? Date.now,
    timers: options.timers ?? REAL_TIMERS,
    random: options.random ?? Math.random,
  };
}

/**
 * The delay before retry number `failures` (1 for the first): the initial
 * delay doubled per failure, capped at `maxMs`, with "equal jitter" (half
 * fixed, half random) so many senders do not retry in step and none retries
 * at once.
 *
 * @example
 * ```ts
 * const delay = retryDelay(3, { backoff: { initialMs: 1000, maxMs: 30000 }, random: () => 0 });
 * console.log(delay); // 2000 (base 4000, half of it fixed)
 * ```
 */
export function retryDelay(
  failures: number,
  options: { backoff: AlertmanagerBackoff; random: () => number },
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const base = Math.min(
    options.backoff.maxMs,
    options.backoff.initialMs * 2 ** exponent,
  );
  return base / 2 + options.random() * base / 2;
}
