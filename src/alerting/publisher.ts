/**
 * Publishes alerts to APPL_DB: each firing or suppressed alert is a hash
 * `PORTSYNCD_ALERT_TABLE:<rule id>[|<port>]` with `state`, `severity`,
 * `value` (when it began firing), `since` (ISO 8601) and `message`; it is
 * deleted when the alert resolves or goes. The listener only notes what
 * changed; writes leave in one batch, one at a time, off the event path,
 * and are retried (with the whole table reconciled) after a failure or a
 * Redis reconnect.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { Database, Fields, StoreOp } from "../store/types.ts";
import type { Alert, AlertTransition } from "./types.ts";

/** The APPL_DB table of published alerts. */
export const ALERT_TABLE = "PORTSYNCD_ALERT_TABLE";

/** Options of {@linkcode AlertPublisher}. */
export interface AlertPublisherOptions {
  /** Logger. */
  log: Logger;
  /** Retry delay after a failed write, ms (default 1000). */
  retryMs?: number;
}

/** The published fields of an alert, or null when it must not be published. */
export function alertFields(alert: Readonly<Alert>): Fields | null {
  if (alert.state !== "firing" && alert.state !== "suppressed") return null;
  return {
    state: alert.state,
    severity: alert.severity,
    value: String(alert.value),
    since: new Date(alert.activeSince).toISOString(),
    message: alert.message,
  };
}

/** Keeps APPL_DB's alert table equal to the engine's published alerts. */
export class AlertPublisher {
  readonly #appl: Database;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #retryMs: number;
  /** Every alert that should be in the table now, by key. */
  readonly #published = new Map<string, Fields>();
  /** Keys whose row must be written (present in #published) or deleted. */
  readonly #dirty = new Set<string>();
  #reconcile = true;
  #flushing: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failing = false;
  #closed = false;

  /** Publishes into APPL_DB; the first flush reconciles the whole table. */
  constructor(appl: Database, options: AlertPublisherOptions) {
    this.#appl = appl;
    this.#prefix = ALERT_TABLE + appl.separator;
    this.#log = options.log;
    this.#retryMs = options.retryMs ?? 1000;
  }

  /** The engine's listener: notes the change and schedules a flush. */
  readonly listener = (transition: AlertTransition): void => {
    const { alert } = transition;
    const fields = transition.to === null ? null : alertFields(alert);
    if (fields === null) {
      if (!this.#published.delete(alert.key)) return;
    } else {
      this.#published.set(alert.key, fields);
    }
    this.#dirty.add(alert.key);
    this.#schedule(0);
  };

  /** After a Redis reconnect: rewrite every row and delete strays. */
  reconcile(): void {
    this.#reconcile = true;
    this.#schedule(0);
  }

  /** Writes what is pending now; resolves when the table is up to date (or the write failed). */
  async flush(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing;
    if (this.#dirty.size === 0 && !this.#reconcile) return;
    this.#flushing = this.#write();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
  }

  /** Stops retrying (rows stay as they are: the next start reconciles). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delayMs);
  }

  async #write(): Promise<void> {
    const reconcile = this.#reconcile;
    const keys = [...this.#dirty];
    this.#dirty.clear();
    this.#reconcile = false;
    try {
      const ops: StoreOp[] = [];
      if (reconcile) {
        for (const key of await this.#appl.scan(`${this.#prefix}*`)) {
          const name = key.slice(this.#prefix.length);
          if (!this.#published.has(name)) ops.push({ op: "del", key });
        }
        for (const key of this.#published.keys()) this.#dirty.add(key);
        keys.push(...this.#dirty);
        this.#dirty.clear();
      }
      for (const key of new Set(keys)) {
        const fields = this.#published.get(key);
        const row = this.#prefix + key;
        // Every row has the same five fields, so an HSET replaces it whole.
        ops.push(
          fields === undefined
            ? { op: "del", key: row }
            : { op: "hset", key: row, fields },
        );
      }
      if (ops.length > 0) await this.#appl.batch(ops);
      if (this.#failing) {
        this.#failing = false;
        this.#log.info("alerts published to APPL_DB again");
      }
    } catch (error) {
      for (const key of keys) this.#dirty.add(key);
      this.#reconcile ||= reconcile;
      if (!this.#failing) {
        this.#failing = true;
        this.#log.warn("alerts not published to APPL_DB; retrying", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      this.#schedule(this.#retryMs);
    }
  }
}
