/**
 * What `portsyncd --status` shows, and how: the status as read from the
 * databases (health report, ports, alerts) and its text form, laid out like
 * SONiC's `show` commands (a title line, aligned columns, a dashed line
 * under the headers). Pure: no I/O, no clock.
 * @module
 */

/** The health report of STATE_DB `PORTSYNCD_HEALTH_TABLE|portsyncd`, typed. */
export interface HealthSummary {
  /** `healthy`, `degraded` or `unhealthy` (as written). */
  status: string;
  /** Why it is not healthy (the report's `reasons`, split on `; `). */
  reasons: string[];
  /** Warm-restart health score, 0 to 1. */
  health_score: number | null;
  /** Median event latency, µs. */
  latency_p50_us: number | null;
  /** 95th percentile event latency, µs. */
  latency_p95_us: number | null;
  /** 99th percentile event latency, µs. */
  latency_p99_us: number | null;
  /** Largest event latency, µs. */
  latency_max_us: number | null;
  /** Link messages per second (last 10 s). */
  events_per_second: number | null;
  /** Messages in hand and Redis writes unanswered. */
  queue_depth: number | null;
  /** Resident set size, bytes. */
  memory_rss_bytes: number | null;
  /** V8 heap in use, bytes. */
  memory_heap_bytes: number | null;
  /** When the report was written (ISO 8601, as written), or null. */
  updated: string | null;
  /**
   * True when `updated` is older than 3 report intervals (or missing or
   * not a time): the daemon has stopped reporting.
   */
  stale: boolean;
}

/** One port: CONFIG_DB `PORT|<port>` and STATE_DB `PORT_TABLE|<port>`. */
export interface PortStatus {
  /** The port's name, e.g. `Ethernet0`. */
  port: string;
  /** True when CONFIG_DB has `PORT|<port>`. */
  configured: boolean;
  /** True when STATE_DB has `PORT_TABLE|<port>` (the link exists). */
  present: boolean;
  /** STATE_DB `admin_status` (`up`/`down`), or null. */
  admin_status: string | null;
  /** STATE_DB `netdev_oper_status` (`up`/`down`), or null. */
  oper_status: string | null;
  /** STATE_DB `mtu`, or null. */
  mtu: number | null;
  /** STATE_DB `state` (`ok` once the link exists), or null. */
  state: string | null;
  /** Oper up↔down changes since the daemon started, or null when not reported. */
  flaps: number | null;
}

/** One firing or suppressed alert of APPL_DB `PORTSYNCD_ALERT_TABLE`. */
export interface AlertStatus {
  /** `<rule id>` or `<rule id>|<port>`. */
  alert: string;
  /** The rule id. */
  rule: string;
  /** The port, or null for a rule over the whole switch. */
  port: string | null;
  /** `firing` or `suppressed`. */
  state: string;
  /** `info`, `warning` or `critical`. */
  severity: string;
  /** The metric's value as published (a string, as Prometheus gives it). */
  value: string;
  /** When the condition began to hold (ISO 8601, as published). */
  since: string;
  /** The rule's description, filled in. */
  message: string;
}

/** Everything `--status` shows; also its `--json` output. */
export interface StatusReport {
  /** The health report, or null when STATE_DB has none. */
  health: HealthSummary | null;
  /** Every configured or present port, in natural order. */
  ports: PortStatus[];
  /** Firing and suppressed alerts, in natural order of their keys. */
  alerts: AlertStatus[];
}

/** A report is stale after this many report intervals without an update. */
export const STALE_INTERVALS = 3;

/** How a column is laid out. */
export interface Column {
  /** Header text. */
  title: string;
  /** `right` for numbers; default `left`. */
  align?: "left" | "right";
}

/**
 * Compares names the way people count: `Ethernet2` before `Ethernet10`
 * (runs of digits compare as numbers), then as plain strings.
 *
 * @example
 * ```ts
 * ["Ethernet10", "Ethernet2"].sort(naturalCompare); // ["Ethernet2", "Ethernet10"]
 * ```
 */
export function naturalCompare(a: string, b: string): number {
  const left = a.split(/(\d+)/);
  const right = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    // Odd chunks are digit runs, even chunks the text between them.
    const order = i % 2 === 1
      ? compareDigits(left[i], right[i])
      : compareText(left[i], right[i]);
    if (order !== 0) return order;
  }
  return left.length - right.length || compareText(a, b);
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  return x.length - y.length || compareText(x, y);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether a health report written at `updated` is stale at `now`: older
 * than {@linkcode STALE_INTERVALS} report intervals, or `updated` missing
 * or not a time. A time in the future (clock skew) is not stale.
 *
 * @example
 * ```ts
 * isStale("2025-01-01T00:00:00.000Z", {
 *   now: Date.parse("2025-01-01T00:00:16.000Z"),
 *   reportIntervalMs: 5000,
 * }); // true
 * ```
 */
export function isStale(
  updated: string | null,
  options: { now: number; reportIntervalMs: number },
): boolean {
  const written = updated === null ? NaN : Date.parse(updated);
  if (Number.isNaN(written)) return true;
  return options.now - written > STALE_INTERVALS * options.reportIntervalMs;
}

/**
 * Lays out rows under a header and a dashed underline, columns two spaces
 * apart, each as wide as its widest cell; trailing blanks are trimmed.
 *
 * @example
 * ```ts
 * formatTable([{ title: "Port" }, { title: "MTU", align: "right" }], [
 *   ["Ethernet0", "9100"],
 * ]);
 * // ["Port        MTU", "---------  ----", "Ethernet0  9100"]
 * ```
 */
export function formatTable(columns: Column[], rows: string[][]): string[] {
  const widths = columns.map((column, index) =>
    Math.max(column.title.length, ...rows.map((row) => row[index].length))
  );
  const line = (cells: string[]): string =>
    cells.map((cell, index) =>
      columns[index].align === "right"
        ? cell.padStart(widths[index])
        : cell.padEnd(widths[index])
    ).join("  ").trimEnd();
  return [
    line(columns.map((column) => column.title)),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...rows.map(line),
  ];
}

/** C0 and C1 control characters, DEL. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * Makes text from the databases safe for one terminal line: control
 * characters (newlines, escapes) become `\xNN`, and an empty value `-`.
 */
function cell(text: string | null): string {
  if (text === null || text === "") return "-";
  return text.replace(
    CONTROL,
    (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

function number(value: number | null): string {
  return value === null ? "-" : String(value);
}

function mebibytes(bytes: number | null): string {
  return bytes === null ? "-" : (bytes / 1048576).toFixed(1);
}

function healthLines(
  health: HealthSummary | null,
  reportIntervalMs: number,
): string[] {
  if (health === null) return ["no health report (is portsyncd running?)"];
  const updated = cell(health.updated) + (health.stale ? " (stale)" : "");
  const lines = formatTable([
    { title: "Status" },
    { title: "Score", align: "right" },
    { title: "p50 (us)", align: "right" },
    { title: "p95 (us)", align: "right" },
    { title: "p99 (us)", align: "right" },
    { title: "Events/s", align: "right" },
    { title: "Queue", align: "right" },
    { title: "RSS (MiB)", align: "right" },
    { title: "Updated" },
  ], [[
    cell(health.status),
    number(health.health_score),
    number(health.latency_p50_us),
    number(health.latency_p95_us),
    number(health.latency_p99_us),
    number(health.events_per_second),
    number(health.queue_depth),
    mebibytes(health.memory_rss_bytes),
    updated,
  ]]);
  if (health.reasons.length > 0) {
    lines.push(`Reasons: ${cell(health.reasons.join("; "))}`);
  }
  if (health.stale) {
    const seconds = (STALE_INTERVALS * reportIntervalMs) / 1000;
    lines.push(
      `Stale: not updated for more than ${STALE_INTERVALS} report intervals (${seconds} s); is portsyncd running?`,
    );
  }
  return lines;
}

function portLines(ports: PortStatus[]): string[] {
  if (ports.length === 0) return ["no ports"];
  return formatTable(
    [
      { title: "Port" },
      { title: "Admin" },
      { title: "Oper" },
      { title: "MTU", align: "right" },
      { title: "Flaps", align: "right" },
    ],
    ports.map((port) => [
      cell(port.port),
      cell(port.admin_status),
      port.present ? cell(port.oper_status) : "absent",
      number(port.mtu),
      number(port.flaps),
    ]),
  );
}

function alertLines(alerts: AlertStatus[]): string[] {
  if (alerts.length === 0) return ["no alerts"];
  return formatTable(
    [
      { title: "Alert" },
      { title: "State" },
      { title: "Severity" },
      { title: "Value", align: "right" },
      { title: "Since" },
      { title: "Message" },
    ],
    alerts.map((alert) => [
      cell(alert.alert),
      cell(alert.state),
      cell(alert.severity),
      cell(alert.value),
      cell(alert.since),
      cell(alert.message),
    ]),
  );
}

/**
 * The text `--status` prints: the sections `Health`, `Ports` and `Alerts`,
 * each a title line and a table (or one line saying there is nothing),
 * separated by blank lines. `reportIntervalMs` explains a stale report.
 *
 * @example
 * ```ts
 * const text = formatStatus({ health: null, ports: [], alerts: [] }, {
 *   reportIntervalMs: 5000,
 * });
 * // "Health\nno health report (is portsyncd running?)\n\nPorts\nno ports\n\nAlerts\nno alerts\n"
 * ```
 */
export function formatStatus(
  report: StatusReport,
  options: { reportIntervalMs: number },
): string {
  const sections = [
    ["Health", ...healthLines(report.health, options.reportIntervalMs)],
    ["Ports", ...portLines(report.ports)],
    ["Alerts", ...alertLines(report.alerts)],
  ];
  return sections.map((lines) => lines.join("\n")).join("\n\n") + "\n";
}
