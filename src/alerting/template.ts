/**
 * Alert messages: a rule's `description` with `{{port}}`, `{{value}}`,
 * `{{rule}}` and `{{threshold}}` filled in.
 * @module
 */

import type { AlertRule } from "./types.ts";

/** The placeholders a description may use. */
export const PLACEHOLDERS: readonly string[] = [
  "port",
  "value",
  "rule",
  "threshold",
];

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * The first placeholder of `description` that is not one of
 * {@linkcode PLACEHOLDERS} (as written, braces included), or null.
 *
 * @example
 * ```ts
 * unknownPlaceholder("Port {{port}} is down"); // null
 * unknownPlaceholder("{{ host }} is down"); // "{{ host }}"
 * ```
 */
export function unknownPlaceholder(description: string): string | null {
  for (const match of description.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDERS.includes(match[1])) return match[0];
  }
  return null;
}

/**
 * A metric value as messages show it: integers as they are, other numbers
 * to 6 significant digits (`0.333333`, `1.5e+21`), `NaN`, `Infinity`.
 *
 * @example
 * ```ts
 * formatValue(3); // "3"
 * formatValue(1 / 3); // "0.333333"
 * ```
 */
export function formatValue(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/**
 * The threshold as `{{threshold}}` shows it: `min..max` for `between`, the
 * threshold otherwise.
 *
 * @example
 * ```ts
 * import type { AlertRule } from "./types.ts";
 * declare const rule: AlertRule;
 * thresholdText(rule); // e.g. "0" or "1..5"
 * ```
 */
export function thresholdText(rule: AlertRule): string {
  return rule.condition === "between"
    ? `${formatValue(rule.min)}..${formatValue(rule.max)}`
    : formatValue(rule.threshold);
}

/** The text of placeholder `name` for an alert, or undefined when unknown. */
function placeholder(
  name: string,
  rule: AlertRule,
  alert: { port: string | null; value: number },
): string | undefined {
  switch (name) {
    case "port":
      return alert.port ?? "";
    case "value":
      return formatValue(alert.value);
    case "rule":
      return rule.id;
    case "threshold":
      return thresholdText(rule);
  }
  return undefined;
}

/**
 * `rule.description` with its placeholders filled in: `{{port}}` is the
 * port (empty for an alert without one), `{{value}}` the value
 * ({@linkcode formatValue}), `{{rule}}` the rule id, `{{threshold}}`
 * {@linkcode thresholdText}; spaces inside the braces are allowed. Unknown
 * placeholders stay as written (the schema rejects them). A scan with
 * `indexOf`, no regular expression and nothing cached per rule.
 *
 * @example
 * ```ts
 * import type { AlertRule } from "./types.ts";
 * declare const rule: AlertRule; // description "Port {{port}} is down"
 * renderMessage(rule, { port: "Ethernet0", value: 0 }); // "Port Ethernet0 is down"
 * ```
 */
export function renderMessage(
  rule: AlertRule,
  alert: { port: string | null; value: number },
): string {
  const text = rule.description;
  let open = text.indexOf("{{");
  if (open < 0) return text;
  let out = "";
  let from = 0;
  while (open >= 0) {
    const close = text.indexOf("}}", open + 2);
    if (close < 0) break;
    const start = text.lastIndexOf("{{", close - 1);
    const value = placeholder(text.slice(start + 2, close).trim(), rule, alert);
    out += value === undefined
      ? text.slice(from, close + 2)
      : text.slice(from, start) + value;
    from = close + 2;
    open = text.indexOf("{{", from);
  }
  return out + text.slice(from);
}
