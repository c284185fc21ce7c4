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

// A description split once into literal texts and the known placeholders
// between them (`texts` has one more entry than `holes`).
const PORT = 0;
const VALUE = 1;
const RULE = 2;
const THRESHOLD = 3;
const HOLES: ReadonlyMap<string, number> = new Map([
  ["port", PORT],
  ["value", VALUE],
  ["rule", RULE],
  ["threshold", THRESHOLD],
]);

interface Template {
  texts: string[];
  holes: number[];
}

/** Split descriptions by their text (shared by rules with the same one). */
const TEMPLATES = new Map<string, Template>();
/** Most descriptions kept split; past this the cache starts again. */
const TEMPLATE_CACHE_LIMIT = 1024;

/**
 * Splits a description as the placeholders are read: the innermost `{{`
 * before each `}}`, the name trimmed; unknown ones stay as written.
 */
function split(text: string): Template {
  let open = text.indexOf("{{");
  if (open < 0) return { texts: [text], holes: [] };
  const texts: string[] = [];
  const holes: number[] = [];
  let literal = "";
  let from = 0;
  while (open >= 0) {
    const close = text.indexOf("}}", open + 2);
    if (close < 0) break;
    const start = text.lastIndexOf("{{", close - 1);
    const hole = HOLES.get(text.slice(start + 2, close).trim());
    if (hole === undefined) {
      literal += text.slice(from, close + 2);
    } else {
      texts.push(literal + text.slice(from, start));
      holes.push(hole);
      literal = "";
    }
    from = close + 2;
    open = text.indexOf("{{", from);
  }
  texts.push(literal + text.slice(from));
  return { texts, holes };
}

/**
 * `rule.description` with its placeholders filled in: `{{port}}` is the
 * port (empty for an alert without one), `{{value}}` the value
 * ({@linkcode formatValue}), `{{rule}}` the rule id, `{{threshold}}`
 * {@linkcode thresholdText}; spaces inside the braces are allowed. Unknown
 * placeholders stay as written (the schema rejects them). Each description
 * is split once (a bounded cache by text, nothing kept per rule or alert).
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
  if (text.length === 0) return text;
  let template = TEMPLATES.get(text);
  if (template === undefined) {
    template = split(text);
    if (TEMPLATES.size >= TEMPLATE_CACHE_LIMIT) TEMPLATES.clear();
    TEMPLATES.set(text, template);
  }
  const { texts, holes } = template;
  if (holes.length === 0) return texts[0];
  let out = texts[0];
  for (let i = 0; i < holes.length; i++) {
    out += fill(holes[i], rule, alert) + texts[i + 1];
  }
  return out;
}

function fill(
  hole: number,
  rule: AlertRule,
  alert: { port: string | null; value: number },
): string {
  switch (hole) {
    case PORT:
      return alert.port ?? "";
    case VALUE:
      return formatValue(alert.value);
    case RULE:
      return rule.id;
  }
  return thresholdText(rule);
}
