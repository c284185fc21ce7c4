/**
 * The portsyncd configuration file (TOML): one zod schema, every setting
 * with a default, and the `Config` type it produces, documented setting by
 * setting. Later components add their own sections to both (the compiler
 * checks that they agree).
 * @module
 */

import { z } from "zod";
import { capProblems, ConfigError, describeIssues } from "./errors.ts";
import { LOG_LEVELS, type LogLevel } from "../log/levels.ts";

/** The validated configuration, with every default filled in. */
export interface Config {
  /** `[log]` */
  log: {
    /**
     * Least severe level written: error, warn, notice, info or debug.
     * `--log-level` overrides it, and CONFIG_DB `LOGGER|portsyncd`
     * `LOGLEVEL` overrides both while it is set. Default `info`.
     */
    level: LogLevel;
    /**
     * Where records go: `stderr` (one line each, no timestamp: journald
     * adds it) or `syslog` (datagrams to `syslog_socket`, facility daemon,
     * ident portsyncd). Default `stderr`.
     */
    destination: "stderr" | "syslog";
    /** The syslog socket (an AF_UNIX datagram socket). Default `/dev/log`. */
    syslog_socket: string;
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
     * Network namespace to watch: a name under /run/netns (not `.` or `..`,
     * at most 255 bytes) or an absolute path. Empty (the default) means the
     * daemon's own namespace, the normal case on a single-ASIC switch.
     */
    namespace: string;
    /**
     * Burst coalescing, in microseconds (0 to 10000; 0 turns it off): while
     * link messages arrive at 5,000/s or more and pile up between reads (2
     * or more per read), wait this long before each read, so one STATE_DB
     * round trip carries more messages. Changes made one at a time are
     * never delayed. Default 250.
     */
    coalesce_us: number;
  };
  /** `[store]` */
  store: {
    /**
     * Writes kept (and replayed in order) while Redis is unreachable; at
     * least `sync.max_batch`, or every full batch would be refused.
     * Default 100000.
     */
    max_pending_writes: number;
    /**
     * First reconnect delay in ms; doubles each attempt, with jitter. At most
     * `reconnect_max_ms`. Default 100.
     */
    reconnect_initial_ms: number;
    /**
     * Longest reconnect delay in ms (at most 2^31-1, the longest timer).
     * The same backoff paces retries after a refused write. Default 5000.
     */
    reconnect_max_ms: number;
    /**
     * A command with no reply for this long (a Redis that accepts but never
     * answers, or is stopped) counts as a dead connection: it is reconnected
     * and the unanswered commands are sent again. At least 100: a shorter
     * one would drop healthy connections whenever Redis pauses briefly (a
     * fork for a snapshot, a large batch). Default 5000.
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
     * another client deleted or changed is rewritten (0 disables; else at
     * least 100, so that the read-back cannot hammer the Redis all of SONiC
     * shares). Default 2000.
     */
    verify_interval_ms: number;
  };
  /** `[daemon]` */
  daemon: {
    /**
     * Directory of the lock file that keeps a second portsyncd off the same
     * network namespace: an absolute path (a relative one would depend on the
     * working directory, and two daemons could miss each other's lock).
     * Default `/run/portsyncd`.
     */
    lock_dir: string;
  };
  /** `[metrics]` */
  metrics: {
    /**
     * Where the Prometheus endpoint (`GET /metrics`) listens, as `HOST:PORT`
     * (`[ADDR]:PORT` for IPv6); empty (the default) turns it off.
     */
    listen: string;
  };
  /** `[warm_restart]` */
  warm_restart: {
    /**
     * Directory of the warm-restart state file (metrics and the last known
     * state of every port); empty turns the file off. One file per watched
     * namespace. Default `/var/lib/sonic/portsyncd`.
     */
    state_dir: string;
    /** How often the state file is saved while running, in ms (and at shutdown). Default 60000. */
    save_interval_ms: number;
    /** The start-up dump must end (EOIU) within this many ms, or it counts as a timeout. Default 30000. */
    eoiu_timeout_ms: number;
  };
  /** `[alerting]` */
  alerting: {
    /**
     * `[[alerting.rules]]` tables as written; validated into rules by
     * `loadSettings` (`src/alerting/rules.ts`), which names the rule and the
     * field of each problem.
     */
    rules: unknown[];
    /** Alert transitions kept in the history ring. Default 1000. */
    history_size: number;
    /**
     * Prometheus Alertmanager to send alerts to (its v2 API), e.g.
     * `http://127.0.0.1:9093`; empty (the default) sends none.
     */
    alertmanager_url: string;
    /** Firing alerts are re-sent to Alertmanager this often, in ms. Default 60000. */
    alertmanager_resend_ms: number;
  };
  /** `[health]` */
  health: {
    /** How often STATE_DB `PORTSYNCD_HEALTH_TABLE|portsyncd` is written, in ms. Default 5000. */
    report_interval_ms: number;
    /** Event latency p99 above this (µs) makes the daemon `degraded`. Default 10000. */
    latency_p99_degraded_us: number;
    /** Event latency p99 above this (µs) makes it `unhealthy`. Default 100000. */
    latency_p99_unhealthy_us: number;
    /** Messages and writes pending above this make it `degraded`. Default 1000. */
    queue_depth_degraded: number;
    /** Messages and writes pending above this make it `unhealthy`. Default 50000. */
    queue_depth_unhealthy: number;
    /**
     * A health score below this (0 to 1) makes it `degraded`. Default 0.6:
     * the seed's score takes up to 0.3 off for warm restarts alone (a switch
     * that only ever warm-restarts scores 0.7), so only recovery failures and
     * corrupt state files should bring it lower.
     */
    health_score_degraded: number;
    /** A health score below this (0 to 1) makes it `unhealthy`. Default 0.3. */
    health_score_unhealthy: number;
  };
}

/** The longest delay a timer can take (2^31-1 ms); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Shortest command timeout and verify interval (ms). */
const MIN_REDIS_INTERVAL_MS = 100;

/** Linux's longest file name (NAME_MAX), in bytes. */
const NAME_MAX = 255;

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a `netlink.namespace` value cannot name a namespace, or null. */
function namespaceProblem(value: string): string | null {
  if (value === "") return null;
  if (CONTROL.test(value)) return "must not contain control characters";
  if (value.includes("/")) {
    return value.startsWith("/")
      ? null
      : "must be a name under /run/netns or an absolute path";
  }
  if (value === "." || value === "..") {
    return `"${value}" is not a namespace name`;
  }
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > NAME_MAX) {
    return `a namespace name is at most ${NAME_MAX} bytes (this one is ${bytes})`;
  }
  return null;
}

/** Why a directory setting (`daemon.lock_dir`, `warm_restart.state_dir`) is not an absolute path, or null. */
function absolutePathProblem(value: string): string | null {
  if (CONTROL.test(value)) return "must not contain control characters";
  if (!value.startsWith("/")) return "must be an absolute path";
  return null;
}

/** Why a `metrics.listen` value is not `HOST:PORT`, or null (empty: off). */
function listenProblem(value: string): string | null {
  if (value === "") return null;
  if (CONTROL.test(value)) return "must not contain control characters";
  const match = value.match(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/);
  if (match === null) {
    return `"${value}" is not HOST:PORT (e.g. 127.0.0.1:9464, [::1]:9464)`;
  }
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `port ${port} is not in 1..65535`;
  return null;
}

/** Why an `alerting.alertmanager_url` is not an http(s) URL, or null (empty: off). */
function urlProblem(value: string): string | null {
  if (value === "") return null;
  if (CONTROL.test(value)) return "must not contain control characters";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL (e.g. http://127.0.0.1:9093)`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `${url.protocol} is not http: or https:`;
  }
  return null;
}

/** A string schema whose extra rule is `problem` (returning why, or null). */
function checkedString(problem: (value: string) => string | null) {
  return z.string().superRefine((value, context) => {
    const message = problem(value);
    if (message !== null) context.addIssue({ code: "custom", message });
  });
}

const configSchema: z.ZodType<Config> = z.strictObject({
  log: z.strictObject({
    level: z.enum(LOG_LEVELS).default("info"),
    destination: z.enum(["stderr", "syslog"]).default("stderr"),
    syslog_socket: checkedString(absolutePathProblem).default("/dev/log"),
  }).prefault({}),
  netlink: z.strictObject({
    receive_buffer_bytes: z.number().int().min(4096).max(1 << 30).default(
      8 * 1024 * 1024,
    ),
    namespace: checkedString(namespaceProblem).default(""),
    coalesce_us: z.number().int().min(0).max(10_000).default(250),
  }).prefault({}),
  store: z.strictObject({
    max_pending_writes: z.number().int().min(1).default(100_000),
    reconnect_initial_ms: z.number().int().min(1).max(MAX_TIMER_MS).default(
      100,
    ),
    reconnect_max_ms: z.number().int().min(1).max(MAX_TIMER_MS).default(5_000),
    command_timeout_ms: z.number().int().min(MIN_REDIS_INTERVAL_MS).max(
      MAX_TIMER_MS,
    ).default(5_000),
  }).prefault({}),
  sync: z.strictObject({
    max_batch: z.number().int().min(1).default(4096),
    verify_interval_ms: z.number().int().min(0).max(MAX_TIMER_MS).refine(
      (value) => value === 0 || value >= MIN_REDIS_INTERVAL_MS,
      `must be 0 (off) or at least ${MIN_REDIS_INTERVAL_MS}`,
    ).default(2_000),
  }).prefault({}),
  daemon: z.strictObject({
    lock_dir: checkedString(absolutePathProblem).default("/run/portsyncd"),
  }).prefault({}),
  metrics: z.strictObject({
    listen: checkedString(listenProblem).default(""),
  }).prefault({}),
  warm_restart: z.strictObject({
    state_dir: checkedString((value) =>
      value === "" ? null : absolutePathProblem(value)
    ).default("/var/lib/sonic/portsyncd"),
    save_interval_ms: z.number().int().min(1000).max(MAX_TIMER_MS).default(
      60_000,
    ),
    eoiu_timeout_ms: z.number().int().min(100).max(MAX_TIMER_MS).default(
      30_000,
    ),
  }).prefault({}),
  alerting: z.strictObject({
    rules: z.array(z.unknown()).default([]),
    history_size: z.number().int().min(1).max(1_000_000).default(1000),
    alertmanager_url: checkedString(urlProblem).default(""),
    alertmanager_resend_ms: z.number().int().min(1000).max(MAX_TIMER_MS)
      .default(60_000),
  }).prefault({}),
  health: z.strictObject({
    report_interval_ms: z.number().int().min(100).max(MAX_TIMER_MS).default(
      5_000,
    ),
    latency_p99_degraded_us: z.number().positive().default(10_000),
    latency_p99_unhealthy_us: z.number().positive().default(100_000),
    queue_depth_degraded: z.number().int().min(0).default(1_000),
    queue_depth_unhealthy: z.number().int().min(0).default(50_000),
    health_score_degraded: z.number().min(0).max(1).default(0.6),
    health_score_unhealthy: z.number().min(0).max(1).default(0.3),
  }).prefault({}),
});

/** True if the file itself set `section.key` (rather than a default). */
function isSet(data: unknown, section: string, key: string): boolean {
  if (typeof data !== "object" || data === null) return false;
  const table = (data as Record<string, unknown>)[section];
  return typeof table === "object" && table !== null &&
    Object.hasOwn(table, key);
}

/**
 * Rules between settings, each as `FILE: key: what`, naming the key the
 * file set (the one to change) when only one of the pair was set.
 */
function crossCheck(config: Config, data: unknown, file: string): string[] {
  const problems: string[] = [];
  const { store, sync } = config;
  if (store.reconnect_initial_ms > store.reconnect_max_ms) {
    const blameMax = isSet(data, "store", "reconnect_max_ms") &&
      !isSet(data, "store", "reconnect_initial_ms");
    problems.push(
      blameMax
        ? `${file}: store.reconnect_max_ms: ${store.reconnect_max_ms} is below store.reconnect_initial_ms (${store.reconnect_initial_ms}); the longest reconnect delay cannot be shorter than the first`
        : `${file}: store.reconnect_initial_ms: ${store.reconnect_initial_ms} is above store.reconnect_max_ms (${store.reconnect_max_ms}); the first reconnect delay cannot exceed the longest`,
    );
  }
  if (store.max_pending_writes < sync.max_batch) {
    const blameBatch = isSet(data, "sync", "max_batch") &&
      !isSet(data, "store", "max_pending_writes");
    problems.push(
      blameBatch
        ? `${file}: sync.max_batch: ${sync.max_batch} is above store.max_pending_writes (${store.max_pending_writes}); every full batch would be refused`
        : `${file}: store.max_pending_writes: ${store.max_pending_writes} is below sync.max_batch (${sync.max_batch}); every full batch would be refused`,
    );
  }
  return problems;
}

/**
 * Validates parsed configuration data (missing sections and keys take their
 * defaults), then the rules between settings (`reconnect_initial_ms` ≤
 * `reconnect_max_ms`, `max_pending_writes` ≥ `max_batch`); `source` names
 * the file in the one-line errors. Start-up and `--check-config` both use it.
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
  const problems = crossCheck(result.data, data, options.source);
  if (problems.length > 0) {
    throw new ConfigError(capProblems(options.source, problems));
  }
  return result.data;
}
