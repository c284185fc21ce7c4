/**
 * The log levels, most severe first: what the logger, the configuration
 * schema and the command line accept; SONiC's swss level names
 * (CONFIG_DB `LOGGER|<daemon>` `LOGLEVEL`) mapped onto them; and each
 * level's syslog severity.
 * @module
 */

/** Log levels, most severe first (`notice` sits between warn and info, as in SONiC). */
export const LOG_LEVELS = ["error", "warn", "notice", "info", "debug"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** SONiC swss level names (upper case) to ours. */
const SONIC_LEVELS: Readonly<Record<string, LogLevel>> = {
  EMERG: "error",
  ALERT: "error",
  CRIT: "error",
  ERROR: "error",
  WARN: "warn",
  WARNING: "warn",
  NOTICE: "notice",
  INFO: "info",
  DEBUG: "debug",
};

/**
 * Maps a SONiC log level name (`config loglevel`, `swssloglevel`: EMERG,
 * ALERT, CRIT, ERROR, WARN, NOTICE, INFO, DEBUG; WARNING too) to a level,
 * case-insensitively and ignoring surrounding spaces; null when unknown.
 *
 * @example
 * ```ts
 * parseSonicLevel("NOTICE"); // "notice"
 * parseSonicLevel("crit"); // "error"
 * parseSonicLevel("LOUD"); // null
 * ```
 */
export function parseSonicLevel(value: string): LogLevel | null {
  const key = value.trim().toUpperCase();
  return Object.hasOwn(SONIC_LEVELS, key) ? SONIC_LEVELS[key] : null;
}

/** Syslog severity of each level (RFC 5424 numbers). */
export const SYSLOG_SEVERITY: Readonly<Record<LogLevel, number>> = {
  error: 3,
  warn: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** Syslog facility `daemon`. */
export const SYSLOG_FACILITY_DAEMON = 3;

/**
 * The `<PRI>` value of a record: facility × 8 + severity.
 *
 * @example
 * ```ts
 * syslogPriority("error"); // 27 (daemon.err)
 * syslogPriority("info"); // 30 (daemon.info)
 * ```
 */
export function syslogPriority(
  level: LogLevel,
  options: { facility?: number } = {},
): number {
  return (options.facility ?? SYSLOG_FACILITY_DAEMON) * 8 +
    SYSLOG_SEVERITY[level];
}
