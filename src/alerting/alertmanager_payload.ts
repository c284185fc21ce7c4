/**
 * Alertmanager's v2 API shapes, pure: the endpoint URL from a base URL, an
 * alert's labels and annotations, and the postable alert with its
 * `startsAt`/`endsAt` in ISO 8601. No I/O; the sender (`alertmanager.ts`)
 * builds on these.
 * @module
 */

import type { Alert } from "./types.ts";

/** The `job` label of every alert portsyncd sends. */
export const ALERT_JOB = "portsyncd";

/** A bad option of the Alertmanager sender; the message names it and its value. */
export class AlertmanagerOptionError extends Error {
  /** Creates the error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "AlertmanagerOptionError";
  }
}

/**
 * One alert as `POST /api/v2/alerts` takes it (Alertmanager's
 * `postableAlert`). `endsAt` in the past means resolved; in the future, the
 * time Alertmanager resolves it by itself unless it hears again.
 */
export interface PostableAlert {
  /** Identify the alert: `alertname`, `severity`, `port`, `instance`, `job`. */
  labels: Record<string, string>;
  /** `summary`, `description`, `value`. */
  annotations: Record<string, string>;
  /** ISO 8601. */
  startsAt: string;
  /** ISO 8601. */
  endsAt: string;
}

/**
 * The alerts endpoint under `base` (`http://host:9093` or a path prefix such
 * as `http://host/alertmanager/`). Throws {@linkcode AlertmanagerOptionError}
 * naming the URL when it is not an absolute http(s) URL.
 *
 * @example
 * ```ts
 * const url = alertsEndpoint("http://127.0.0.1:9093");
 * console.log(url.href); // http://127.0.0.1:9093/api/v2/alerts
 * ```
 */
export function alertsEndpoint(base: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw new AlertmanagerOptionError(
      `alertmanager url ${JSON.stringify(base)}: not an absolute URL`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new AlertmanagerOptionError(
      `alertmanager url ${JSON.stringify(base)}: scheme must be http or https`,
    );
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    throw new AlertmanagerOptionError(
      `alertmanager url ${JSON.stringify(base)}: no query or fragment allowed`,
    );
  }
  if (!parsed.pathname.endsWith("/")) parsed.pathname += "/";
  return new URL("api/v2/alerts", parsed);
}

/**
 * The labels that identify `alert` in Alertmanager: `alertname` (the rule
 * id), `severity`, `port` (only for a per-port alert), `instance`, `job`.
 *
 * @example
 * ```ts
 * import type { Alert } from "./types.ts";
 * declare const alert: Alert;
 * const labels = alertLabels(alert, { instance: "switch1" });
 * console.log(labels.alertname === alert.ruleId); // true
 * ```
 */
export function alertLabels(
  alert: Readonly<Alert>,
  options: { instance: string },
): Record<string, string> {
  const labels: Record<string, string> = {
    alertname: alert.ruleId,
    severity: alert.severity,
  };
  if (alert.port !== null && alert.port !== "") labels.port = alert.port;
  labels.instance = options.instance;
  labels.job = ALERT_JOB;
  return labels;
}

/**
 * The annotations of `alert`: `summary` and `description` (both the rule's
 * filled-in description) and `value` (the metric's value when it fired).
 */
export function alertAnnotations(
  alert: Readonly<Alert>,
): Record<string, string> {
  return {
    summary: alert.message,
    description: alert.message,
    value: String(alert.value),
  };
}

/**
 * `ms` (epoch) as ISO 8601; `fallback` when `ms` is not a valid time (so a
 * bad timestamp never throws in the sender).
 */
export function isoTime(ms: number, fallback: number): string {
  const date = new Date(Number.isFinite(ms) ? ms : fallback);
  return Number.isNaN(date.getTime())
    ? new Date(0).toISOString()
    : date.toISOString();
}

/**
 * The postable alert of prepared `labels`/`annotations`, started at
 * `startsAt` and ending at `endsAtMs` (never before it starts: Alertmanager
 * rejects such an alert).
 *
 * @example
 * ```ts
 * const alert = postableAlert(
 *   { labels: { alertname: "any_port_down" }, annotations: {}, startsAt: "2026-01-01T00:00:00.000Z" },
 *   Date.parse("2026-01-01T00:05:00Z"),
 * );
 * console.log(alert.endsAt); // 2026-01-01T00:05:00.000Z
 * ```
 */
export function postableAlert(
  prepared: Omit<PostableAlert, "endsAt">,
  endsAtMs: number,
): PostableAlert {
  const started = Date.parse(prepared.startsAt);
  const ends = Math.max(endsAtMs, started);
  return {
    labels: prepared.labels,
    annotations: prepared.annotations,
    startsAt: prepared.startsAt,
    endsAt: isoTime(ends, started),
  };
}
