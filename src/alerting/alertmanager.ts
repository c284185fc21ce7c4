/**
 * The Alertmanager sender: delivers portsyncd's alerts to a Prometheus
 * Alertmanager through its v2 API (`POST /api/v2/alerts`).
 *
 * The listener only records a transition (`alertmanager_book.ts`) and arms
 * a timer; requests run later, batched (one POST carries every alert that
 * changed), one at a time, each with a timeout. Firing alerts are sent again
 * every `resendMs` with `endsAt` four periods ahead, as Prometheus does, so
 * Alertmanager keeps them active while portsyncd runs, whatever its
 * `resolve_timeout`, and resolves them by itself if portsyncd goes quiet.
 * While Alertmanager is unreachable (or answers 5xx, 408 or 429) the changes
 * not delivered are retried with exponential backoff and jitter: one warn
 * line per outage, one info line when it is back. A 4xx answer drops that
 * batch (it would fail again) with one error line until the next success.
 *
 * Suppressed alerts are sent as ended (`endsAt` = the transition time), so
 * they leave Alertmanager while suppressed, out of the operator's way like
 * a silenced alert; unsuppressed, they are sent firing again with their
 * original `startsAt`. Resolved (or dropped) alerts are sent once with
 * `endsAt` = the transition time and forgotten once delivered. Pending
 * alerts are never sent.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import { AlertBook, type Batch } from "./alertmanager_book.ts";
import {
  type AlertmanagerSenderOptions,
  resolveAlertmanagerOptions,
  type ResolvedAlertmanagerOptions,
  retryDelay,
} from "./alertmanager_options.ts";
import type { AlertListener, AlertTransition } from "./types.ts";

export type {
  AlertmanagerBackoff,
  AlertmanagerSenderOptions,
  AlertmanagerTimers,
} from "./alertmanager_options.ts";
export {
  AlertmanagerOptionError,
  type PostableAlert,
} from "./alertmanager_payload.ts";

/** Counters and sizes of the sender, for tests and diagnostics. */
export interface AlertmanagerStats {
  /** POSTs answered 2xx. */
  delivered: number;
  /** POSTs that failed and are retried (unreachable, timeout, 5xx, 408, 429). */
  failed: number;
  /** POSTs answered 4xx and dropped. */
  rejected: number;
  /** Ended alerts dropped undelivered to keep memory bounded. */
  evicted: number;
  /** Firing alerts known now. */
  firing: number;
  /** Ended alerts waiting for delivery. */
  ending: number;
}

/** A POST's outcome: the HTTP status and a one-line excerpt of an error body. */
interface Answer {
  status: number;
  detail: string;
}

function errorText(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return "request timed out";
  }
  return error instanceof Error ? error.message : String(error);
}

function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Sends alert transitions to Alertmanager; register {@linkcode listener}
 * with the engine and call {@linkcode close} at shutdown. The constructor
 * throws `AlertmanagerOptionError` naming a bad option (URL, instance,
 * durations).
 *
 * @example
 * ```ts
 * import { createLogger } from "../log/mod.ts";
 * const sender = new AlertmanagerSender({
 *   url: "http://127.0.0.1:9093",
 *   instance: "switch1",
 *   log: createLogger("info"),
 * });
 * // engine.onTransition(sender.listener);
 * await sender.close();
 * ```
 */
export class AlertmanagerSender {
  /** The engine listener: records a transition and schedules a flush. */
  readonly listener: AlertListener;
  /** The alerts endpoint (`<url>/api/v2/alerts`). */
  readonly endpoint: URL;

  readonly #options: ResolvedAlertmanagerOptions;
  readonly #log: Logger;
  readonly #book: AlertBook;
  #flushTimer: unknown;
  #retryTimer: unknown;
  #resendTimer: unknown;
  #inFlight: Promise<void> | null = null;
  /** Aborts the request in flight (at close). */
  #abort: AbortController | null = null;
  #failures = 0;
  #outageSince: number | null = null;
  #rejectLogged = false;
  #evictedSeen = 0;
  #evictWarned = false;
  #closed = false;
  #closing: Promise<void> | null = null;
  #counts = { delivered: 0, failed: 0, rejected: 0 };

  /** Checks the options (see {@linkcode AlertmanagerSenderOptions}); arms no timer yet. */
  constructor(options: AlertmanagerSenderOptions) {
    this.#options = resolveAlertmanagerOptions(options);
    this.#log = this.#options.log;
    this.endpoint = this.#options.endpoint;
    this.#book = new AlertBook(this.#options);
    this.listener = (transition) => this.onTransition(transition);
  }

  /** Counters and sizes now. */
  get stats(): AlertmanagerStats {
    return {
      ...this.#counts,
      evicted: this.#book.evicted,
      firing: this.#book.firing,
      ending: this.#book.ending,
    };
  }

  /**
   * Records `transition` and schedules a flush; never throws, never waits.
   * Firing → sent firing; suppressed, resolved or dropped → sent ended if it
   * was sent firing; pending → nothing. Ignored after `close()`.
   */
  onTransition(transition: AlertTransition): void {
    if (this.#closed) return;
    try {
      if (!this.#book.record(transition)) return;
      this.#logEvictions();
      if (this.#book.firing > 0) this.#armResend();
      else this.#stopResend();
      this.#scheduleFlush();
    } catch (error) {
      this.#log.error("alertmanager: transition not recorded", {
        key: transition?.alert?.key ?? null,
        error: errorText(error),
      });
    }
  }

  /** Resolves once no request is in flight (at once when idle). */
  async idle(): Promise<void> {
    while (this.#inFlight !== null) await this.#inFlight;
  }

  /**
   * Stops the timers, aborts a request in flight and makes one final POST of
   * the changes not yet delivered (timeout `closeTimeoutMs`). Never rejects.
   * Firing alerts are not resolved: Alertmanager ends them at their `endsAt`
   * (four re-send periods) unless a new portsyncd sends them again.
   */
  close(): Promise<void> {
    this.#closing ??= this.#finish();
    return this.#closing;
  }

  /** One warn line when ended alerts are dropped, again only after a delivery. */
  #logEvictions(): void {
    const evicted = this.#book.evicted;
    if (evicted === this.#evictedSeen) return;
    this.#evictedSeen = evicted;
    if (this.#evictWarned) return;
    this.#evictWarned = true;
    this.#log.warn(
      "alertmanager: ended alerts dropped undelivered (too many waiting)",
      { max: this.#options.maxEnded },
    );
  }

  #armResend(): void {
    if (this.#resendTimer !== undefined || this.#closed) return;
    this.#resendTimer = this.#options.timers.setTimeout(() => {
      this.#resendTimer = undefined;
      if (this.#book.firing === 0) return;
      this.#book.resendFiring();
      this.#armResend();
      this.#scheduleFlush();
    }, this.#options.resendMs);
  }

  #stopResend(): void {
    if (this.#resendTimer === undefined) return;
    this.#options.timers.clearTimeout(this.#resendTimer);
    this.#resendTimer = undefined;
  }

  /** Arms the batch timer unless a flush is already due (timer, retry or request). */
  #scheduleFlush(): void {
    if (this.#closed || this.#inFlight !== null) return;
    if (this.#flushTimer !== undefined || this.#retryTimer !== undefined) {
      return;
    }
    this.#flushTimer = this.#options.timers.setTimeout(() => {
      this.#flushTimer = undefined;
      this.#startSend();
    }, this.#options.batchMs);
  }

  #startSend(): void {
    const batch = this.#book.collect();
    if (batch.length === 0) return;
    this.#inFlight = this.#send(batch).finally(() => {
      this.#inFlight = null;
      this.#abort = null;
      if (this.#retryTimer === undefined && this.#book.hasChanges()) {
        this.#scheduleFlush();
      }
    });
  }

  /** Sends `batch` and acts on the answer; never rejects. */
  async #send(batch: Batch): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.#options.timeoutMs),
      abort.signal,
    ]);
    let answer: Answer;
    try {
      answer = await this.#post(batch, signal);
    } catch (error) {
      if (!this.#closed) this.#failed(batch, errorText(error));
      return;
    }
    if (answer.status >= 200 && answer.status < 300) {
      this.#delivered(batch);
    } else if (retryable(answer.status)) {
      const reason = `HTTP ${answer.status} ${answer.detail}`.trim();
      if (!this.#closed) this.#failed(batch, reason);
    } else {
      this.#rejected(batch, answer);
    }
  }

  async #post(batch: Batch, signal: AbortSignal): Promise<Answer> {
    const validUntil = this.#options.now() + 4 * this.#options.resendMs;
    const response = await this.#options.fetch(this.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(this.#book.body(batch, validUntil)),
      signal,
    });
    if (response.ok) {
      await response.body?.cancel();
      return { status: response.status, detail: "" };
    }
    const text = await response.text().catch(() => "");
    const detail = text.replace(/\s+/g, " ").trim().slice(0, 200);
    return { status: response.status, detail };
  }

  #delivered(batch: Batch): void {
    this.#counts.delivered++;
    this.#book.settle(batch);
    this.#reachable();
    this.#rejectLogged = false;
    this.#evictWarned = false;
  }

  #rejected(batch: Batch, answer: Answer): void {
    this.#counts.rejected++;
    this.#book.settle(batch);
    this.#reachable();
    if (this.#rejectLogged) return;
    this.#rejectLogged = true;
    this.#log.error("alertmanager rejected alerts; batch dropped", {
      status: answer.status,
      alerts: batch.length,
      answer: answer.detail,
    });
  }

  #reachable(): void {
    if (this.#outageSince !== null) {
      this.#log.info("alerts delivered to Alertmanager again", {
        url: this.endpoint.href,
        failed_attempts: this.#failures,
        outage_ms: Math.max(0, this.#options.now() - this.#outageSince),
      });
    }
    this.#failures = 0;
    this.#outageSince = null;
  }

  #failed(batch: Batch, reason: string): void {
    this.#counts.failed++;
    this.#failures++;
    if (this.#outageSince === null) {
      this.#outageSince = this.#options.now();
      this.#log.warn("alerts not delivered to Alertmanager; retrying", {
        url: this.endpoint.href,
        alerts: batch.length,
        reason,
      });
    }
    this.#retryTimer = this.#options.timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#startSend();
    }, retryDelay(this.#failures, this.#options));
  }

  async #finish(): Promise<void> {
    this.#closed = true;
    const timers = this.#options.timers;
    for (const id of [this.#flushTimer, this.#retryTimer, this.#resendTimer]) {
      if (id !== undefined) timers.clearTimeout(id);
    }
    this.#flushTimer = this.#retryTimer = this.#resendTimer = undefined;
    this.#abort?.abort();
    let reason: string;
    let batch: Batch = [];
    try {
      await this.idle();
      batch = this.#book.collect();
      if (batch.length === 0) return;
      const signal = AbortSignal.timeout(this.#options.closeTimeoutMs);
      const answer = await this.#post(batch, signal);
      if (answer.status >= 200 && answer.status < 300) {
        this.#book.settle(batch);
        this.#counts.delivered++;
        return;
      }
      reason = `HTTP ${answer.status} ${answer.detail}`.trim();
    } catch (error) {
      reason = errorText(error);
    }
    this.#log.warn("alertmanager: last alert changes not delivered at close", {
      alerts: batch.length,
      reason,
    });
  }
}
