/**
 * Rule durations as Prometheus writes them: whole numbers of units from the
 * largest to the smallest, each at most once (`500ms`, `5s`, `2m`, `1h30m`,
 * `1d`), or `0`.
 * @module
 */

/** The longest duration a rule may give (`365d`), in ms. */
export const MAX_DURATION_MS = 365 * 24 * 3600 * 1000;

const UNITS: readonly [string, number][] = [
  ["d", 24 * 3600 * 1000],
  ["h", 3600 * 1000],
  ["m", 60 * 1000],
  ["s", 1000],
  ["ms", 1],
];

// Each unit at most once, largest first; at most 12 digits per unit so the
// sum stays an exact integer before the MAX_DURATION_MS check.
const DURATION =
  /^(?:(\d{1,12})d)?(?:(\d{1,12})h)?(?:(\d{1,12})m)?(?:(\d{1,12})s)?(?:(\d{1,12})ms)?$/;

/**
 * The duration `text` in ms, or null when it is not a duration (or is longer
 * than {@linkcode MAX_DURATION_MS}).
 *
 * @example
 * ```ts
 * parseDuration("1m30s"); // 90000
 * parseDuration("500ms"); // 500
 * parseDuration("0"); // 0
 * parseDuration("1.5s"); // null
 * ```
 */
export function parseDuration(text: string): number | null {
  if (text === "0") return 0;
  if (text === "") return null;
  const match = DURATION.exec(text);
  if (match === null) return null;
  let total = 0;
  for (let i = 0; i < UNITS.length; i++) {
    const digits = match[i + 1];
    if (digits !== undefined) total += Number(digits) * UNITS[i][1];
  }
  return total <= MAX_DURATION_MS ? total : null;
}

/**
 * Writes `ms` as a duration {@linkcode parseDuration} reads back (`0s` for
 * zero; a fraction of a millisecond is dropped).
 *
 * @example
 * ```ts
 * formatDuration(90000); // "1m30s"
 * formatDuration(0); // "0s"
 * ```
 */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms));
  if (rest === 0) return "0s";
  let text = "";
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}
