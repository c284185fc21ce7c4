/**
 * A small leveled logger, one record per line: to stderr by default, shaped
 * for journald (no timestamps: the journal adds them), or to syslog
 * (`syslog.ts`). Its level and output can change while it runs (SIGHUP
 * reload, CONFIG_DB `LOGGER|portsyncd`).
 * @module
 */

import { LOG_LEVELS, type LogLevel } from "./levels.ts";

export { LOG_LEVELS, type LogLevel };

/** Extra key/value context appended to a line as `key=value`. */
export type LogFields = Record<string, string | number | boolean | null>;

/** Where finished lines go; tests pass an array's push. */
export type LogSink = (line: string) => void;

/** Where records go, with their level (stderr, syslog). */
export interface LogOutput {
  /** Writes one record: `text` is the message and its fields. */
  write(level: LogLevel, text: string): void;
  /** Releases what the output holds (a socket); optional. */
  close?(): void;
}

/** A leveled logger. */
export interface Logger {
  /** Fatal or data-losing problems. */
  error(message: string, fields?: LogFields): void;
  /** Something went wrong but the daemon recovered. */
  warn(message: string, fields?: LogFields): void;
  /** Normal but significant: configuration changes, reloads. */
  notice(message: string, fields?: LogFields): void;
  /** Start-up, shutdown and state changes an operator wants to see. */
  info(message: string, fields?: LogFields): void;
  /** Per-event detail. */
  debug(message: string, fields?: LogFields): void;
  /** True when `level` lines are written (to skip building costly fields). */
  enabled(level: LogLevel): boolean;
}

/** A logger whose level and output can be changed while it runs. */
export interface ControlledLogger extends Logger {
  /** The least severe level written now. */
  readonly level: LogLevel;
  /** Changes the level. */
  setLevel(level: LogLevel): void;
  /** Replaces the output (the old one is closed). */
  setOutput(output: LogOutput): void;
}

const encoder = new TextEncoder();

/** `LEVEL text`, the line of a record on stderr. */
export function formatLine(level: LogLevel, text: string): string {
  return `${level.toUpperCase()} ${text}`;
}

/** An output writing `LEVEL text` lines through `sink`. */
export function sinkOutput(sink: LogSink): LogOutput {
  return { write: (level, text) => sink(formatLine(level, text)) };
}

/** Writes `line` and a newline to stderr (nothing if stderr is gone). */
export function writeStderr(line: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(line + "\n"));
  } catch {
    // stderr is closed: there is nowhere left to write.
  }
}

/** The default output: one `LEVEL text` line per record on stderr. */
export const STDERR_OUTPUT: LogOutput = sinkOutput(writeStderr);

/**
 * `message key=value ...`: values with spaces, quotes or `=` are JSON
 * quoted.
 *
 * @example
 * ```ts
 * formatRecord("port up", { port: "Ethernet0", mtu: 9100 }); // "port up port=Ethernet0 mtu=9100"
 * ```
 */
export function formatRecord(message: string, fields?: LogFields): string {
  if (fields === undefined) return message;
  let text = message;
  for (const [key, value] of Object.entries(fields)) {
    const shown = typeof value === "string" && /[\s"=]/.test(value)
      ? JSON.stringify(value)
      : String(value);
    text += ` ${key}=${shown}`;
  }
  return text;
}

/**
 * Creates a logger writing records at `level` and above, to stderr unless
 * `sink` (lines) or `output` (records with their level) is given.
 *
 * @example
 * ```ts
 * const log = createLogger("info");
 * log.info("port sync started", { ports: 32 });
 * log.setLevel("debug");
 * ```
 */
export function createLogger(
  level: LogLevel,
  options: { sink?: LogSink; output?: LogOutput } = {},
): ControlledLogger {
  let output = options.output ??
    (options.sink === undefined ? STDERR_OUTPUT : sinkOutput(options.sink));
  let current = level;
  let threshold = LOG_LEVELS.indexOf(level);
  function enabled(wanted: LogLevel): boolean {
    return LOG_LEVELS.indexOf(wanted) <= threshold;
  }
  function write(at: LogLevel, message: string, fields?: LogFields): void {
    if (!enabled(at)) return;
    output.write(at, formatRecord(message, fields));
  }
  return {
    error: (message, fields) => write("error", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    notice: (message, fields) => write("notice", message, fields),
    info: (message, fields) => write("info", message, fields),
    debug: (message, fields) => write("debug", message, fields),
    enabled,
    get level() {
      return current;
    },
    setLevel(next: LogLevel): void {
      current = next;
      threshold = LOG_LEVELS.indexOf(next);
    },
    setOutput(next: LogOutput): void {
      if (next === output) return;
      const old = output;
      output = next;
      old.close?.();
    },
  };
}
