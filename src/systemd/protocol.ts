/**
 * The pure part of the systemd notifier: where `$NOTIFY_SOCKET` points (as a
 * `sockaddr_un`), whether and how often to send `WATCHDOG=1`
 * (`$WATCHDOG_USEC`, `$WATCHDOG_PID`), and the `STATUS=` line built from
 * numbers. Nothing here does I/O.
 * @module
 */

import { sockaddrUn } from "../../ffi/socket.ts";

/** A `$NOTIFY_SOCKET` that cannot be used, with the reason. */
export class NotifySocketError extends Error {
  /** The error's name. */
  override name = "NotifySocketError";
}

/**
 * The `struct sockaddr_un` for a `$NOTIFY_SOCKET` value: a filesystem path
 * (absolute), or an abstract name starting with `@` (sent with a leading NUL
 * in `sun_path`, the `@` dropped). The result is exactly as long as the
 * address (the kernel takes the length, so abstract names need no padding).
 *
 * @example
 * ```ts
 * import { notifyAddress } from "./protocol.ts";
 * const address = notifyAddress("/run/systemd/notify");
 * ```
 */
export function notifyAddress(value: string): Uint8Array<ArrayBuffer> {
  const abstract = value.startsWith("@");
  if (!abstract && !value.startsWith("/")) {
    throw new NotifySocketError(
      `NOTIFY_SOCKET=${value}: neither an absolute path nor an @abstract name`,
    );
  }
  const empty = value === "@";
  const address = empty ? null : sockaddrUn(value);
  if (address === null) {
    throw new NotifySocketError(
      `NOTIFY_SOCKET=${value}: ${
        empty ? "empty name" : "longer than sun_path (108)"
      }`,
    );
  }
  return address;
}

/** The environment variables the notifier reads. */
export interface NotifyEnv {
  /** `$NOTIFY_SOCKET`. */
  NOTIFY_SOCKET?: string;
  /** `$WATCHDOG_USEC`. */
  WATCHDOG_USEC?: string;
  /** `$WATCHDOG_PID`. */
  WATCHDOG_PID?: string;
}

/**
 * How often to send `WATCHDOG=1`, in ms (half of `$WATCHDOG_USEC`, as
 * systemd advises), or null when the watchdog is off for this process:
 * `$WATCHDOG_USEC` unset, not a positive integer, or `$WATCHDOG_PID` set to
 * another process's pid.
 *
 * @example
 * ```ts
 * import { watchdogIntervalMs } from "./protocol.ts";
 * watchdogIntervalMs({ WATCHDOG_USEC: "200000" }, 42); // 100
 * ```
 */
export function watchdogIntervalMs(env: NotifyEnv, pid: number): number | null {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^[0-9]+$/.test(usec)) return null;
  const value = Number(usec);
  if (!Number.isSafeInteger(value) || value <= 0) return null;
  const owner = env.WATCHDOG_PID;
  if (owner !== undefined && owner !== "" && owner !== String(pid)) {
    return null;
  }
  return Math.max(1, Math.floor(value / 2000));
}

/** What the `STATUS=` line reports. */
export interface StatusFacts {
  /** Ports whose link is up. */
  portsUp: number;
  /** Ports the daemon knows. */
  portsTotal: number;
  /** Link messages per second (recent window). */
  eventsPerSecond: number;
  /** The health monitor's status, or null before its first report. */
  health: string | null;
  /** Firing alerts, or null when alerting is not running. */
  firingAlerts: number | null;
}

/**
 * The `STATUS=` text: `ports 3/4 up, 12.5 events/s, healthy, 1 alert
 * firing` (the health and alert parts only when known).
 *
 * @example
 * ```ts
 * import { statusLine } from "./protocol.ts";
 * statusLine({ portsUp: 3, portsTotal: 4, eventsPerSecond: 0, health: "healthy", firingAlerts: 0 });
 * // "ports 3/4 up, 0 events/s, healthy, 0 alerts firing"
 * ```
 */
export function statusLine(facts: StatusFacts): string {
  const rate = facts.eventsPerSecond;
  const shown = rate >= 100 || Number.isInteger(rate)
    ? String(Math.round(rate))
    : rate.toFixed(1);
  const parts = [
    `ports ${facts.portsUp}/${facts.portsTotal} up`,
    `${shown} events/s`,
  ];
  if (facts.health !== null) parts.push(facts.health);
  if (facts.firingAlerts !== null) {
    const n = facts.firingAlerts;
    parts.push(`${n} alert${n === 1 ? "" : "s"} firing`);
  }
  return parts.join(", ");
}

/**
 * Whether a STATUS is due: the line changed, or `everyMs` passed since the
 * last one was sent (`sentAt` null: never sent).
 */
export function statusDue(
  line: string,
  last: { line: string | null; sentAt: number | null },
  options: { now: number; everyMs: number },
): boolean {
  if (last.line !== line || last.sentAt === null) return true;
  return options.now - last.sentAt >= options.everyMs;
}
