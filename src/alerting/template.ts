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

const PORT_HOLE = 0;
const VALUE_HOLE = 1;

/**
 * A description with `{{rule}}` and `{{threshold}}` filled in once, and
 * holes left for `{{port}}` and `{{value}}`.
 */
export class MessageTemplate {
  /** Whether `{{value}}` appears (the message changes with the value). */
  readonly usesValue: boolean;
  // Literal texts, one more than the holes (port or value) between them.
  readonly #texts: readonly string[];
  readonly #holes: readonly number[];

  /** Texts and the holes between them (see {@linkcode compileMessage}). */
  constructor(texts: readonly string[], holes: readonly number[]) {
    this.#texts = texts;
    this.#holes = holes;
    this.usesValue = holes.includes(VALUE_HOLE);
  }

  /** The message of an alert. */
  render(alert: { port: string | null; value: number }): string {
    const texts = this.#texts;
    const holes = this.#holes;
    let out = texts[0];
    for (let i = 0; i < holes.length; i++) {
      out += holes[i] === PORT_HOLE
        ? alert.port ?? ""
        : formatValue(alert.value);
      out += texts[i + 1];
    }
    return out;
  }
}

/**
 * `rule.description` prepared for rendering many times: the text itself when
 * it has no `{{port}}` or `{{value}}` (placeholders filled, as
 * {@linkcode renderMessage} fills them), else a {@linkcode MessageTemplate}.
 *
 * @example
 * ```ts
 * import type { AlertRule } from "./types.ts";
 * declare const rule: AlertRule; // description "Port {{port}} is down"
 * const template = compileMessage(rule);
 * typeof template === "string"
 *   ? template
 *   : template.render({ port: "Ethernet0", value: 0 }); // "Port Ethernet0 is down"
 * ```
 */
export function compileMessage(rule: AlertRule): string | MessageTemplate {
  const text = rule.description;
  let open = text.indexOf("{{");
  if (open < 0) return text;
  const texts: string[] = [];
  const holes: number[] = [];
  let literal = "";
  let from = 0;
  while (open >= 0) {
    const close = text.indexOf("}}", open + 2);
    if (close < 0) break;
    const start = text.lastIndexOf("{{", close - 1);
    const name = text.slice(start + 2, close).trim();
    if (name === "port" || name === "value") {
      texts.push(literal + text.slice(from, start));
      literal = "";
      holes.push(name === "port" ? PORT_HOLE : VALUE_HOLE);
    } else {
      const value = name === "rule"
        ? rule.id
        : name === "threshold"
        ? thresholdText(rule)
        : undefined;
      literal += value === undefined
        ? text.slice(from, close + 2)
        : text.slice(from, start) + value;
    }
    from = close + 2;
    open = text.indexOf("{{", from);
  }
  literal += text.slice(from);
  if (holes.length === 0) return literal;
  texts.push(literal);
  return new MessageTemplate(texts, holes);
}

/**
 * `rule.description` with its placeholders filled in: `{{port}}` is the
 * port (empty for an alert without one), `{{value}}` the value
 * ({@linkcode formatValue}), `{{rule}}` the rule id, `{{threshold}}`
 * {@linkcode thresholdText}; spaces inside the braces are allowed. Unknown
 * placeholders stay as written (the schema rejects them). The engine
 * compiles each rule's description once ({@linkcode compileMessage}).
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
  const template = compileMessage(rule);
  return typeof template === "string" ? template : template.render(alert);
}
