/**
 * The portsyncd configuration file (TOML): one zod schema, every setting
 * with a default and a comment. Later components add their own sections here.
 * @module
 */

import { z } from "zod";

/** Log levels, most severe first. */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

const logSchema = z.strictObject({
  /** Least severe level written to stderr. */
  level: z.enum(LOG_LEVELS).default("info"),
});

const netlinkSchema = z.strictObject({
  /**
   * Kernel receive buffer for the link socket, in bytes. Set with
   * SO_RCVBUFFORCE when running as root, else SO_RCVBUF (capped by
   * net.core.rmem_max). Larger buffers make overflows (ENOBUFS) rarer.
   */
  receive_buffer_bytes: z.number().int().min(4096).max(1 << 30).default(
    8 * 1024 * 1024,
  ),
  /**
   * Network namespace to watch: a name under /run/netns or a path. Empty
   * means the daemon's own namespace (the normal case on a single-ASIC switch).
   */
  namespace: z.string().default(""),
});

const storeSchema = z.strictObject({
  /** Writes kept (and replayed in order) while Redis is unreachable. */
  max_pending_writes: z.number().int().min(1).default(100_000),
  /** First reconnect delay, in milliseconds (doubles each attempt, with jitter). */
  reconnect_initial_ms: z.number().int().min(1).default(100),
  /** Longest reconnect delay, in milliseconds. */
  reconnect_max_ms: z.number().int().min(1).default(5_000),
});

const syncSchema = z.strictObject({
  /**
   * Most link changes written in one round trip; a bigger drained batch is
   * split. Coalescing per port happens before this limit applies.
   */
  max_batch: z.number().int().min(1).default(4096),
});

/** The whole configuration file. Missing sections and keys take defaults. */
export const configSchema = z.strictObject({
  log: logSchema.prefault({}),
  netlink: netlinkSchema.prefault({}),
  store: storeSchema.prefault({}),
  sync: syncSchema.prefault({}),
});

/** The validated configuration, with every default filled in. */
export type Config = z.infer<typeof configSchema>;
