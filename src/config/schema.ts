/**
 * The portsyncd configuration file (TOML): one zod schema, every setting
 * with a default, and the `Config` type it produces, documented setting by
 * setting. Later components add their own sections to both (the compiler
 * checks that they agree).
 * @module
 */

import { z } from "zod";
import { ConfigError, describeIssues } from "./errors.ts";

/** Log levels, most severe first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** The validated configuration, with every default filled in. */
export interface Config {
  /** `[log]` */
  log: {
    /** Least severe level written to stderr. Default `info`. */
    level: LogLevel;
  };
  /** `[netlink]` */
  netlink: {
    /**
     * Kernel receive buffer for the link socket, in bytes (4096 to 1 GiB).
     * Set with SO_RCVBUFFORCE when running as root, else SO_RCVBUF (capped
     * by net.core.rmem_max). Larger buffers make overflows (ENOBUFS) rarer.
     * Default 8 MiB.
     */
    receive_buffer_bytes: number;
    /**
     * Network namespace to watch: a name under /run/netns or a path. Empty
     * (the default) means the daemon's own namespace, the normal case on a
     * single-ASIC switch.
     */
    namespace: string;
  };
  /** `[store]` */
  store: {
    /** Writes kept (and replayed in order) while Redis is unreachable. Default 100000. */
    max_pending_writes: number;
    /** First reconnect delay in ms; doubles each attempt, with jitter. Default 100. */
    reconnect_initial_ms: number;
    /**
     * Longest reconnect delay in ms (at most 2^31-1, the longest timer).
     * The same backoff paces retries after a refused write. Default 5000.
     */
    reconnect_max_ms: number;
    /**
     * A command with no reply for this long (a Redis that accepts but never
     * answers, or is stopped) counts as a dead connection: it is reconnected
     * and the unanswered commands are sent again. Default 5000.
     */
    command_timeout_ms: number;
  };
  /** `[sync]` */
  sync: {
    /**
     * Most STATE_DB writes in one round trip; a bigger drained batch is
     * split. Coalescing per port happens before this limit applies.
     * Default 4096.
     */
    max_batch: number;
    /**
     * Every this many ms, STATE_DB's port hashes are read back and anything
     * another client deleted or changed is rewritten (0 disables). Default 2000.
     */
    verify_interval_ms: number;
  };
  /** `[daemon]` */
  daemon: {
    /**
     * Directory of the lock file that keeps a second portsyncd off the same
     * network namespace. Default `/run/portsyncd`.
     */
    lock_dir: string;
  };
}

/** The longest delay a timer can take (2^31-1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const configSchema: z.ZodType<Config> = z.strictObject({
  log: z.strictObject({
    level: z.enum(LOG_LEVELS).default("info"),
  }).prefault({}),
  netlink: z.strictObject({
    receive_buffer_bytes: z.number().int().min(4096).max(1 << 30).default(
      8 * 1024 * 1024,
    ),
    namespace: z.string().default(""),
  }).prefault({}),
  store: z.strictObject({
    max_pending_writes: z.number().int().min(1).default(100_000),
    reconnect_initial_ms: z.number().int().min(1).default(100),
    reconnect_max_ms: z.number().int().min(1).max(MAX_TIMER_MS).default(5_000),
    command_timeout_ms: z.number().int().min(10).max(MAX_TIMER_MS).default(
      5_000,
    ),
  }).prefault({}),
  sync: z.strictObject({
    max_batch: z.number().int().min(1).default(4096),
    verify_interval_ms: z.number().int().min(0).max(MAX_TIMER_MS).default(
      2_000,
    ),
  }).prefault({}),
  daemon: z.strictObject({
    lock_dir: z.string().min(1).default("/run/portsyncd"),
  }).prefault({}),
});

/**
 * Validates parsed configuration data (missing sections and keys take their
 * defaults); `source` names the file in the one-line errors.
 *
 * @example
 * ```ts
 * const config = validateConfig({ log: { level: "debug" } }, { source: "a.toml" });
 * config.sync.max_batch; // 4096
 * ```
 */
export function validateConfig(
  data: unknown,
  options: { source: string },
): Config {
  const result = configSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(describeIssues(options.source, result.error.issues));
  }
  return result.data;
}
