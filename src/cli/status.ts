/**
 * `portsyncd --status [--json]`: what the databases say about portsyncd,
 * read from Redis (never from the daemon's memory), so it works whether the
 * daemon runs or not and never disturbs it: no namespace lock, no netlink
 * socket, read-only commands (SCAN, HGETALL) with a short deadline and no
 * retries.
 *
 * What it reads:
 * - STATE_DB `PORTSYNCD_HEALTH_TABLE|portsyncd`: the health report
 *   (`src/health/monitor.ts`), stale after 3 `[health] report_interval_ms`.
 * - CONFIG_DB `PORT|*`: the configured ports.
 * - STATE_DB `PORT_TABLE|<port>`: `admin_status`, `netdev_oper_status`,
 *   `mtu`, `state`, as port sync writes them.
 * - STATE_DB `PORTSYNCD_PORT_STATS|<port>`, field `flaps`: the number of
 *   oper up↔down changes of the port since the daemon started, written by
 *   the daemon with each health report. This is the contract for its
 *   writer; a port without the hash or the field shows `-` (null in JSON).
 * - APPL_DB `PORTSYNCD_ALERT_TABLE:<rule id>[|<port>]`: the firing and
 *   suppressed alerts, with `state`, `severity`, `value`, `since` (ISO
 *   8601) and `message`.
 * @module
 */

import type { DbConfig } from "../config/db_config.ts";
import type { Settings } from "../config/settings.ts";
import { HEALTH_TABLE } from "../health/monitor.ts";
import { openStore } from "../store/open_store.ts";
import {
  type Database,
  type Fields,
  type Store,
  StoreError,
  StoreReplyError,
} from "../store/types.ts";
import {
  type AlertStatus,
  formatStatus,
  type HealthSummary,
  isStale,
  naturalCompare,
  type PortStatus,
  type StatusReport,
} from "./status_format.ts";

export type { AlertStatus, HealthSummary, PortStatus, StatusReport };

/** STATE_DB table of the per-port counters `--status` shows (`flaps`). */
export const PORT_STATS_TABLE = "PORTSYNCD_PORT_STATS";

/** APPL_DB table of the firing and suppressed alerts. */
export const ALERT_TABLE = "PORTSYNCD_ALERT_TABLE";

/** The longest `--status` waits for any database (or `[store] command_timeout_ms` if shorter). */
export const STATUS_TIMEOUT_MS = 2000;

/** Databases `--status` reads, in the order a failure is reported. */
const STATUS_DATABASES = ["STATE_DB", "CONFIG_DB", "APPL_DB"];

/** Options of {@linkcode readStatus}. */
export interface ReadStatusOptions {
  /** The database map, to name a database's endpoint in errors. */
  dbConfig: DbConfig;
  /** `[health] report_interval_ms`: a report older than 3 of these is stale. */
  reportIntervalMs: number;
  /** Each database's reads must be done within this, in ms. */
  timeoutMs: number;
  /** The time to judge staleness against (epoch ms), default now. */
  now?: number;
}

/** Options of {@linkcode runStatus}. */
export interface RunStatusOptions {
  /** Print one JSON object instead of the tables. */
  json: boolean;
  /** Aborts a connect under way (SIGTERM, SIGINT). */
  signal?: AbortSignal;
  /** Where the output goes (default: stdout). */
  write?: (text: string) => void;
}

/** `redis STATE_DB at unix:/run/redis.sock`, as the store names a connection. */
function label(dbConfig: DbConfig, name: string): string {
  const instance = dbConfig.databases.get(name)?.instance;
  if (instance === undefined) return `redis ${name}`;
  const endpoint = instance.unixSocketPath !== null
    ? `unix:${instance.unixSocketPath}`
    : `tcp:${instance.hostname}:${instance.port}`;
  return `redis ${name} at ${endpoint}`;
}

/** The store's connect failure as `cannot reach redis NAME at ENDPOINT: why`. */
function unreachable(error: StoreError, dbConfig: DbConfig): StoreError {
  for (const name of STATUS_DATABASES) {
    const prefix = `${label(dbConfig, name)}: `;
    if (!error.message.startsWith(prefix)) continue;
    const why = error.message.slice(prefix.length).replace(
      /^connect failed: /,
      "",
    );
    return new StoreError(`cannot reach ${prefix}${why}`, { cause: error });
  }
  return error;
}

/** `work`, or a `cannot reach … no reply in N ms` error once the deadline passes. */
async function within<T>(
  work: Promise<T>,
  options: { dbConfig: DbConfig; name: string; timeoutMs: number },
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() =>
      reject(
        new StoreError(
          `cannot reach ${
            label(options.dbConfig, options.name)
          }: no reply in ${options.timeoutMs} ms`,
        ),
      ), options.timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** HGETALL of every key in one round trip; a key that is not a hash reads as `{}`. */
async function readHashes(
  db: Database,
  keys: string[],
): Promise<Map<string, Fields>> {
  const replies = await db.batchSettled(
    keys.map((key) => ({ op: "hgetall" as const, key })),
  );
  const hashes = new Map<string, Fields>();
  keys.forEach((key, index) => {
    const reply = replies[index];
    const refused = reply instanceof StoreReplyError;
    hashes.set(key, refused ? {} : reply as Fields);
  });
  return hashes;
}

/** `{ name: fields }` of every `TABLE<sep>name` hash. */
async function readTable(
  db: Database,
  table: string,
): Promise<Map<string, Fields>> {
  const prefix = `${table}${db.separator}`;
  const keys = await db.scan(`${prefix}*`);
  const hashes = await readHashes(db, keys);
  const rows = new Map<string, Fields>();
  for (const [key, fields] of hashes) {
    rows.set(key.slice(prefix.length), fields);
  }
  return rows;
}

function numberField(fields: Fields, name: string): number | null {
  const text = fields[name];
  if (text === undefined || text.trim() === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function textField(fields: Fields, name: string): string | null {
  return fields[name] ?? null;
}

function toHealth(
  fields: Fields,
  options: { now: number; reportIntervalMs: number },
): HealthSummary | null {
  if (Object.keys(fields).length === 0) return null;
  const updated = textField(fields, "updated");
  const reasons = fields.reasons ?? "";
  return {
    status: fields.status ?? "",
    reasons: reasons === "" ? [] : reasons.split("; "),
    health_score: numberField(fields, "health_score"),
    latency_p50_us: numberField(fields, "latency_p50_us"),
    latency_p95_us: numberField(fields, "latency_p95_us"),
    latency_p99_us: numberField(fields, "latency_p99_us"),
    latency_max_us: numberField(fields, "latency_max_us"),
    events_per_second: numberField(fields, "events_per_second"),
    queue_depth: numberField(fields, "queue_depth"),
    memory_rss_bytes: numberField(fields, "memory_rss_bytes"),
    memory_heap_bytes: numberField(fields, "memory_heap_bytes"),
    updated,
    stale: isStale(updated, options),
  };
}

function toPorts(tables: {
  configured: Map<string, Fields>;
  state: Map<string, Fields>;
  stats: Map<string, Fields>;
}): PortStatus[] {
  const names = new Set([...tables.configured.keys(), ...tables.state.keys()]);
  return [...names].sort(naturalCompare).map((port) => {
    const state = tables.state.get(port);
    const fields = state ?? {};
    return {
      port,
      configured: tables.configured.has(port),
      present: state !== undefined,
      admin_status: textField(fields, "admin_status"),
      oper_status: textField(fields, "netdev_oper_status"),
      mtu: numberField(fields, "mtu"),
      state: textField(fields, "state"),
      flaps: numberField(tables.stats.get(port) ?? {}, "flaps"),
    };
  });
}

function toAlerts(rows: Map<string, Fields>): AlertStatus[] {
  return [...rows.keys()].sort(naturalCompare).map((alert) => {
    const fields = rows.get(alert)!;
    const bar = alert.indexOf("|");
    return {
      alert,
      rule: bar === -1 ? alert : alert.slice(0, bar),
      port: bar === -1 ? null : alert.slice(bar + 1),
      state: fields.state ?? "",
      severity: fields.severity ?? "",
      value: fields.value ?? "",
      since: fields.since ?? "",
      message: fields.message ?? "",
    };
  });
}

async function readState(db: Database): Promise<{
  health: Fields;
  ports: Map<string, Fields>;
  stats: Map<string, Fields>;
}> {
  const [health, ports, stats] = await Promise.all([
    db.hgetall(`${HEALTH_TABLE}${db.separator}portsyncd`),
    readTable(db, "PORT_TABLE"),
    readTable(db, PORT_STATS_TABLE),
  ]);
  return { health, ports, stats };
}

/** Writes all of `text` to stdout (a pipe may take it in parts). */
function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) {
    done += Deno.stdout.writeSync(bytes.subarray(done));
  }
}

/**
 * Reads the status from an open store (STATE_DB, CONFIG_DB and APPL_DB, in
 * parallel, each within `timeoutMs`). Rejects with a one-line
 * `StoreError` (`cannot reach redis STATE_DB at …: no reply in N ms`) when
 * a database does not answer in time, or the store's own error.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "../store/memory_store.ts";
 * import type { DbConfig } from "../config/db_config.ts";
 * declare const dbConfig: DbConfig;
 * const store = new MemoryStore(dbConfig);
 * const report = await readStatus(store, {
 *   dbConfig,
 *   reportIntervalMs: 5000,
 *   timeoutMs: 2000,
 * });
 * report.health; // null: no health report yet
 * ```
 */
export async function readStatus(
  store: Store,
  options: ReadStatusOptions,
): Promise<StatusReport> {
  const { dbConfig, timeoutMs } = options;
  const [state, configured, alerts] = await Promise.all([
    within(readState(store.db("STATE_DB")), {
      dbConfig,
      name: "STATE_DB",
      timeoutMs,
    }),
    within(readTable(store.db("CONFIG_DB"), "PORT"), {
      dbConfig,
      name: "CONFIG_DB",
      timeoutMs,
    }),
    within(readTable(store.db("APPL_DB"), ALERT_TABLE), {
      dbConfig,
      name: "APPL_DB",
      timeoutMs,
    }),
  ]);
  const now = options.now ?? Date.now();
  return {
    health: toHealth(state.health, {
      now,
      reportIntervalMs: options.reportIntervalMs,
    }),
    ports: toPorts({ configured, state: state.ports, stats: state.stats }),
    alerts: toAlerts(alerts),
  };
}

/**
 * `portsyncd --status`: connects to STATE_DB, CONFIG_DB and APPL_DB (the
 * same database map and `[store]` settings as the daemon, but a command
 * timeout of at most {@linkcode STATUS_TIMEOUT_MS} and no retries), reads
 * the status, prints it (tables, or one JSON object with `json`) and
 * resolves with exit code 0. A Redis it cannot reach (refused, no socket,
 * no reply in time) rejects with a one-line `StoreError`:
 * `cannot reach redis STATE_DB at unix:/…: ECONNREFUSED`.
 *
 * @example
 * ```ts
 * import type { Settings } from "../config/settings.ts";
 * declare const settings: Settings;
 * const code = await runStatus(settings, { json: true });
 * ```
 */
export async function runStatus(
  settings: Settings,
  options: RunStatusOptions,
): Promise<number> {
  const { dbConfig, config } = settings;
  const timeoutMs = Math.min(
    config.store.command_timeout_ms,
    STATUS_TIMEOUT_MS,
  );
  let store: Store;
  try {
    store = await openStore("redis", dbConfig, {
      redis: {
        databases: STATUS_DATABASES,
        commandTimeoutMs: timeoutMs,
        retryInitialConnect: false,
        closeTimeoutMs: 0,
        signal: options.signal,
      },
    });
  } catch (error) {
    if (error instanceof StoreError) throw unreachable(error, dbConfig);
    throw error;
  }
  let report: StatusReport;
  try {
    report = await readStatus(store, {
      dbConfig,
      reportIntervalMs: config.health.report_interval_ms,
      timeoutMs,
    });
  } finally {
    await store.close();
  }
  const text = options.json
    ? `${JSON.stringify(report, null, 2)}\n`
    : formatStatus(report, {
      reportIntervalMs: config.health.report_interval_ms,
    });
  (options.write ?? writeStdout)(text);
  return 0;
}
