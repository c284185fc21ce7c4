/**
 * The machine's reads of metrics into rule groups: a read that throws
 * leaves the group with no series (its alerts count as clear) and is
 * logged once, until the metric reads again.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { RuleGroup } from "./groups.ts";
import type { MetricReader } from "./types.ts";

/**
 * Reads metrics for rule groups (see the module doc).
 *
 * @example
 * ```ts
 * import { MetricReads } from "./reads.ts";
 * import type { RuleGroup } from "./groups.ts";
 * declare const group: RuleGroup;
 * const reads = new MetricReads({ has: () => true, series: () => [] });
 * reads.read(group); // true the first time
 * ```
 */
export class MetricReads {
  readonly #reader: MetricReader;
  readonly #log: Logger | undefined;
  readonly #failing = new Set<string>();

  /** Reads through `reader`; failures go to `log`. */
  constructor(reader: MetricReader, log?: Logger) {
    this.#reader = reader;
    this.#log = log;
  }

  /**
   * Reads the group's metric into the group (none when the read fails);
   * true when it differs from the group's last read.
   */
  read(group: RuleGroup): boolean {
    const metric = group.metric;
    let changed: boolean;
    try {
      changed = group.read(this.#reader);
      if (this.#failing.size > 0) this.#failing.delete(metric);
    } catch (error) {
      group.setNone();
      if (!this.#failing.has(metric)) {
        this.#failing.add(metric);
        this.#log?.warn(
          "alert metric cannot be read; its alerts count as clear",
          {
            metric,
            error: error instanceof Error ? error.message : String(error),
          },
        );
      }
      return true;
    }
    return changed;
  }
}
