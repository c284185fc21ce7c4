/**
 * What the Alertmanager sender knows, pure: the alerts Alertmanager should
 * have firing, the ended ones not yet delivered, and which changes are not
 * delivered yet (a version per alert). No timers, no I/O.
 * @module
 */

import {
  alertAnnotations,
  alertLabels,
  isoTime,
  type PostableAlert,
  postableAlert,
} from "./alertmanager_payload.ts";
import type { AlertTransition } from "./types.ts";

/** One alert as the sender keeps it. */
export interface BookEntry {
  /** The alert's key (`<rule id>[|<port>]`). */
  readonly key: string;
  /** Labels, annotations and `startsAt`, built once at the transition. */
  readonly prepared: Omit<PostableAlert, "endsAt">;
  /** null while firing; when it ended (epoch ms) otherwise. */
  endedAt: number | null;
  /** Bumped on every change and re-send. */
  version: number;
  /** The version last delivered. */
  sent: number;
}

/** What one POST carries: each entry and the version it carried. */
export type Batch = { entry: BookEntry; version: number }[];

/** The alerts to deliver; see the module doc. */
export class AlertBook {
  readonly #instance: string;
  readonly #maxEnded: number;
  readonly #firing = new Map<string, BookEntry>();
  /** Ended alerts not yet delivered, oldest first. */
  readonly #ending = new Map<string, BookEntry>();
  #evicted = 0;

  /** A book labelling alerts with `instance`, keeping at most `maxEnded` ended ones. */
  constructor(options: { instance: string; maxEnded: number }) {
    this.#instance = options.instance;
    this.#maxEnded = options.maxEnded;
  }

  /** Firing alerts known. */
  get firing(): number {
    return this.#firing.size;
  }

  /** Ended alerts waiting for delivery. */
  get ending(): number {
    return this.#ending.size;
  }

  /** Ended alerts dropped undelivered because more than `maxEnded` waited. */
  get evicted(): number {
    return this.#evicted;
  }

  /**
   * Applies `transition`; true when there is something new to send.
   * Firing: (again) firing. Suppressed, resolved or dropped (`to` null): ended
   * at the transition's time, if it was firing. Pending: nothing.
   */
  record(transition: AlertTransition): boolean {
    const { alert, to, at } = transition;
    if (to === "firing") {
      this.#ending.delete(alert.key);
      const previous = this.#firing.get(alert.key);
      this.#firing.set(alert.key, {
        key: alert.key,
        prepared: {
          labels: alertLabels(alert, { instance: this.#instance }),
          annotations: alertAnnotations(alert),
          startsAt: isoTime(alert.activeSince, at),
        },
        endedAt: null,
        version: (previous?.version ?? 0) + 1,
        sent: previous?.sent ?? 0,
      });
      return true;
    }
    if (to === "pending") return false;
    const entry = this.#firing.get(alert.key);
    if (entry === undefined) return false;
    this.#firing.delete(alert.key);
    entry.endedAt = at;
    entry.version++;
    this.#ending.set(alert.key, entry);
    while (this.#ending.size > this.#maxEnded) {
      this.#ending.delete(this.#ending.keys().next().value as string);
      this.#evicted++;
    }
    return true;
  }

  /** Marks every firing alert for sending again (the periodic re-send). */
  resendFiring(): void {
    for (const entry of this.#firing.values()) entry.version++;
  }

  /** True when some change is not delivered yet. */
  hasChanges(): boolean {
    for (const map of [this.#firing, this.#ending]) {
      for (const entry of map.values()) {
        if (entry.version !== entry.sent) return true;
      }
    }
    return false;
  }

  /** Every change not delivered yet: firing alerts first, then ended ones. */
  collect(): Batch {
    const batch: Batch = [];
    for (const map of [this.#firing, this.#ending]) {
      for (const entry of map.values()) {
        if (entry.version !== entry.sent) {
          batch.push({ entry, version: entry.version });
        }
      }
    }
    return batch;
  }

  /**
   * The request body of `batch`: firing alerts end at `validUntil` (epoch
   * ms), ended ones at the time they ended.
   */
  body(batch: Batch, validUntil: number): PostableAlert[] {
    return batch.map(({ entry }) =>
      postableAlert(entry.prepared, entry.endedAt ?? validUntil)
    );
  }

  /**
   * Marks what `batch` carried as delivered (or given up, for a rejected
   * batch); ended alerts delivered in their last version are forgotten.
   */
  settle(batch: Batch): void {
    for (const { entry, version } of batch) {
      if (entry.sent < version) entry.sent = version;
      if (
        entry.endedAt !== null && entry.sent === entry.version &&
        this.#ending.get(entry.key) === entry
      ) {
        this.#ending.delete(entry.key);
      }
    }
  }
}
