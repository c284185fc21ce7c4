/**
 * Operators' suppressions from CONFIG_DB `PORTSYNCD_ALERT_SUPPRESS|<rule
 * id>[|<port>]`, field `until` (ISO 8601; absent or empty: indefinitely).
 * Pure: entries in, suppressions and one-line problems out.
 * @module
 */

import type { Fields } from "../store/types.ts";
import type { Suppression } from "./types.ts";

/** The CONFIG_DB table of suppressions. */
export const SUPPRESS_TABLE = "PORTSYNCD_ALERT_SUPPRESS";

/** Suppressions, and a line for each entry that was skipped. */
export interface ParsedSuppressions {
  /** The valid suppressions. */
  suppressions: Suppression[];
  /** `PORTSYNCD_ALERT_SUPPRESS|<key>: what is wrong`, one per bad entry. */
  problems: string[];
}

/**
 * Parses the table's entries (key after `PORTSYNCD_ALERT_SUPPRESS|` →
 * fields). The key is a rule id, optionally `|<port>`; `until` must be an
 * ISO 8601 date-time when given.
 *
 * @example
 * ```ts
 * import { parseSuppressions } from "./suppressions.ts";
 * const { suppressions } = parseSuppressions(
 *   new Map([["port_down|Ethernet0", { until: "2026-12-01T00:00:00Z" }]]),
 * );
 * suppressions[0].port; // "Ethernet0"
 * ```
 */
export function parseSuppressions(
  entries: ReadonlyMap<string, Fields>,
): ParsedSuppressions {
  const suppressions: Suppression[] = [];
  const problems: string[] = [];
  for (const [key, fields] of entries) {
    const where = `${SUPPRESS_TABLE}|${key}`;
    const [ruleId, port, ...rest] = key.split("|");
    if (ruleId === "" || rest.length > 0 || port === "") {
      problems.push(`${where}: the key must be <rule id> or <rule id>|<port>`);
      continue;
    }
    const text = fields.until ?? "";
    let until: number | null = null;
    if (text !== "") {
      until = isoTime(text);
      if (Number.isNaN(until)) {
        problems.push(
          `${where}: until: ${
            JSON.stringify(text.slice(0, 64))
          } is not an ISO 8601 date-time`,
        );
        continue;
      }
    }
    suppressions.push({ ruleId, port: port ?? null, until });
  }
  return { suppressions, problems };
}

/** `2026-12-01T00:00:00Z`, with optional fraction and offset (or a date alone). */
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms of an ISO 8601 date-time, NaN unless it is one (Feb 30 is not). */
function isoTime(text: string): number {
  const match = ISO_8601.exec(text);
  if (match === null) return Number.NaN;
  const [year, month, day] = text.slice(0, 10).split("-").map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return Number.NaN;
  }
  return Date.parse(text);
}
