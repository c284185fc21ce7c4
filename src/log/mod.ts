/**
 * A small leveled logger writing one line per record to stderr, shaped for
 * journald (no timestamps: the journal adds them).
 * @module
 */

import { LOG_LEVELS, type LogLevel } from "./levels.ts";

export { LOG_LEVELS, type LogLevel };

/** Extra key/value context appended to a line as `key=value`. */
export type LogFields = Record<string, string | number | boolean | null>;

/** Where finished lines go; tests pass an array's push. */
export type LogSink = (line: string) => void;

/** A leveled logger. */
export interface Logger {
  /** Fatal or data-losing problems. */
  error(message: string, fields?: LogFields): void;
  /** Something went wrong but the daemon recovered. */
  warn(message: string, fields?: LogFields): void;
  /** Start-up, shutdown and state changes an operator wants to see. */
  info(message: string, fields?: LogFields): void;
  /** Per-event detail. */
  debug(message: string, fields?: LogFields): void;
  /** True when `level` lines are written (to skip building costly fields). */
  enabled(level: LogLevel): boolean;
}

const encoder = new TextEncoder();

function stderrSink(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

function formatFields(fields: LogFields | undefined): string {
  if (fields === undefined) return "";
  let text = "";
  for (const [key, value] of Object.entries(fields)) {
    const shown = typeof value === "string" && /[\s"=]/.test(value)
      ? JSON.stringify(value)
      : String(value);
    text += ` ${key}=${shown}`;
  }
  return text;
}

/**
 * Creates a logger writing lines at `level` and above.
 *
 * @example
 * ```ts
 * const log = createLogger("info");
 * log.info("port sync started", { ports: 32 });
 * ```
 */
export function createLogger(
  level: LogLevel,
  options: { sink?: LogSink } = {},
): Logger {
  const sink = options.sink ?? stderrSink;
  const threshold = LOG_LEVELS.indexOf(level);
  function enabled(wanted: LogLevel): boolean {
    return LOG_LEVELS.indexOf(wanted) <= threshold;
  }
  function write(at: LogLevel, message: string, fields?: LogFields): void {
    if (!enabled(at)) return;
    sink(`${at.toUpperCase()} ${message}${formatFields(fields)}`);
  }
  return {
    error: (message, fields) => write("error", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    info: (message, fields) => write("info", message, fields),
    debug: (message, fields) => write("debug", message, fields),
    enabled,
  };
}
