/**
 * Alert rules: one zod schema for the config file's `[[alerting.rules]]`
 * tables and CONFIG_DB's `PORTSYNCD_ALERT_RULE|<id>` hashes (every field a
 * string), both producing an {@linkcode AlertRule}. Every problem is one
 * line naming the rule and the field: `rule any_port_down: min: 5 is above
 * max (1)`.
 *
 * ```toml
 * [[alerting.rules]]
 * id = "any_port_down"          # [A-Za-z0-9_.-], at most 128 characters
 * metric = "ports_oper_down"    # a rule-facing metric name
 * condition = "above"           # above | below | equals | between | rate_of_change
 * threshold = 0                 # above, below, equals, rate_of_change (per second)
 * epsilon = 0                   # equals: |value - threshold| <= epsilon (default 0)
 * min = 1                       # between (inclusive, min <= max)
 * max = 5
 * window = "60s"                # rate_of_change (default 60s)
 * for = "0s"                    # held this long before Firing (default 0s)
 * keep_firing_for = "0s"        # clear this long before Resolved (default 0s)
 * severity = "warning"          # info | warning | critical (default warning)
 * enabled = true
 * description = "Port {{port}} is down"
 * ```
 * @module
 */

import { z } from "zod";
import { escapeText, quoteValue } from "../config/errors.ts";
import { parseDuration } from "./duration.ts";
import { PLACEHOLDERS, unknownPlaceholder } from "./template.ts";
import type { AlertRule, Condition, Severity } from "./types.ts";

/** What a rule id must match. */
export const RULE_ID_PATTERN: RegExp = /^[A-Za-z0-9_.-]{1,128}$/;

/** Longest description, in characters. */
export const MAX_DESCRIPTION_LENGTH = 1024;

/** Most problem lines a {@linkcode RuleError} holds; the rest are counted in one line. */
export const MAX_RULE_PROBLEMS = 20;

/** Every condition. */
export const CONDITIONS: readonly Condition[] = [
  "above",
  "below",
  "equals",
  "between",
  "rate_of_change",
];

/** Every severity. */
export const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];

/** The fields of a rule, as the file and CONFIG_DB spell them. */
export const RULE_FIELDS: readonly string[] = [
  "id",
  "metric",
  "condition",
  "threshold",
  "epsilon",
  "min",
  "max",
  "window",
  "for",
  "keep_firing_for",
  "severity",
  "enabled",
  "description",
];

/** The metrics a rule may name: a list, or anything with `has` (a `Set`, the registry). */
export type MetricNames = { has(metric: string): boolean } | readonly string[];

/** Options of the rule parsers. */
export interface RuleOptions {
  /** Known metric names; when absent, any well-formed name is accepted. */
  metrics?: MetricNames;
}

/** One or more invalid rules; `problems` holds one line each (`rule ID: field: what`). */
export class RuleError extends Error {
  /** One line per problem, at most {@linkcode MAX_RULE_PROBLEMS}. */
  readonly problems: string[];

  /** Creates the error from one-line problems (capped, control characters escaped). */
  constructor(problems: string[]) {
    const capped = problems.length <= MAX_RULE_PROBLEMS ? problems : [
      ...problems.slice(0, MAX_RULE_PROBLEMS - 1),
      `${problems.length - MAX_RULE_PROBLEMS + 1} more problems not shown`,
    ];
    const safe = capped.map((line) => escapeText(line, { max: 1024 }));
    super(safe.join("\n"));
    this.name = "RuleError";
    this.problems = safe;
  }
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]{0,127}$/;

function required(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? "required" : what;
}

const NUMBER = z.number({ error: required("must be a finite number") });

function duration(fallback: string) {
  return z.string({ error: required(`must be a duration string like "5s"`) })
    .default(fallback).transform((text, context) => {
      const ms = parseDuration(text);
      if (ms === null) {
        context.addIssue({
          code: "custom",
          message: `${
            quoteValue(text)
          } is not a duration (whole units, largest first, up to 365d: "500ms", "5s", "2m", "1h30m")`,
        });
        return z.NEVER;
      }
      return ms;
    });
}

const ruleSchema = z.strictObject({
  id: z.string({ error: required("must be a string") }).regex(
    RULE_ID_PATTERN,
    "must be 1 to 128 characters of A-Z a-z 0-9 _ . -",
  ),
  metric: z.string({ error: required("must be a string") }).regex(
    METRIC_NAME,
    "must be a metric name ([A-Za-z_:][A-Za-z0-9_:]*, at most 128 characters)",
  ),
  condition: z.enum(CONDITIONS as [Condition, ...Condition[]], {
    error: required(`must be one of ${CONDITIONS.join(", ")}`),
  }),
  threshold: NUMBER.optional(),
  epsilon: NUMBER.min(0, "must be 0 or more").default(0),
  min: NUMBER.optional(),
  max: NUMBER.optional(),
  window: duration("60s"),
  for: duration("0s"),
  keep_firing_for: duration("0s"),
  severity: z.enum(SEVERITIES as [Severity, ...Severity[]], {
    error: `must be one of ${SEVERITIES.join(", ")}`,
  }).default("warning"),
  enabled: z.boolean({ error: "must be true or false" }).default(true),
  description: z.string({ error: "must be a string" })
    .max(MAX_DESCRIPTION_LENGTH, `at most ${MAX_DESCRIPTION_LENGTH} characters`)
    .refine(
      (text) => !CONTROL.test(text),
      "must not contain control characters",
    )
    .superRefine((text, context) => {
      const unknown = unknownPlaceholder(text);
      if (unknown !== null) {
        context.addIssue({
          code: "custom",
          message: `unknown placeholder ${quoteValue(unknown)} (known: ${
            PLACEHOLDERS.map((name) => `{{${name}}}`).join(", ")
          })`,
        });
      }
    })
    .default(""),
});

type ParsedRule = z.infer<typeof ruleSchema>;

/** Rules between fields, each as `[field, what]`. */
function crossCheck(rule: ParsedRule): [string, string][] {
  const problems: [string, string][] = [];
  if (rule.condition === "between") {
    if (rule.min === undefined) problems.push(["min", "required for between"]);
    if (rule.max === undefined) problems.push(["max", "required for between"]);
    if (
      rule.min !== undefined && rule.max !== undefined && rule.min > rule.max
    ) {
      problems.push(["min", `${rule.min} is above max (${rule.max})`]);
    }
  } else if (rule.threshold === undefined) {
    problems.push(["threshold", `required for ${rule.condition}`]);
  }
  if (rule.condition === "rate_of_change" && rule.window === 0) {
    problems.push(["window", "must be more than 0 for rate_of_change"]);
  }
  return problems;
}

function hasMetric(metrics: MetricNames, name: string): boolean {
  return Array.isArray(metrics)
    ? metrics.includes(name)
    : (metrics as { has(metric: string): boolean }).has(name);
}

/** How a rule is named in a problem line: its id, or its position. */
function ruleName(data: unknown, position: string): string {
  const id = typeof data === "object" && data !== null
    ? (data as Record<string, unknown>).id
    : undefined;
  if (typeof id !== "string" || id === "") return position;
  return RULE_ID_PATTERN.test(id) ? id : quoteValue(id);
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(rule)" : path.map(String).join(".");
}

/** Validates one rule; the problems as `[field, what]`, or the rule. */
function check(
  data: unknown,
  options: RuleOptions,
): AlertRule | [string, string][] {
  const result = ruleSchema.safeParse(data);
  if (!result.success) {
    const problems: [string, string][] = [];
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          problems.push([quoteField(key), "unknown key"]);
        }
      } else if (issue.path.length === 0 && issue.code === "invalid_type") {
        problems.push(["(rule)", "must be a table of rule fields"]);
      } else {
        problems.push([fieldName(issue.path), issue.message]);
      }
    }
    // The metric is checked even when other fields fail, so that one run
    // of --check-config names every problem.
    const metric = (data as { metric?: unknown } | null)?.metric;
    if (
      options.metrics !== undefined && typeof metric === "string" &&
      !problems.some(([field]) => field === "metric") &&
      !hasMetric(options.metrics, metric)
    ) {
      problems.push(["metric", `unknown metric ${quoteValue(metric)}`]);
    }
    return problems;
  }
  const rule = result.data;
  const problems = crossCheck(rule);
  if (
    options.metrics !== undefined && !hasMetric(options.metrics, rule.metric)
  ) {
    problems.push(["metric", `unknown metric ${quoteValue(rule.metric)}`]);
  }
  if (problems.length > 0) return problems;
  return {
    id: rule.id,
    metric: rule.metric,
    // The schema's own strings: one copy per program, not one per rule.
    condition: CONDITIONS[CONDITIONS.indexOf(rule.condition)],
    threshold: rule.threshold ?? 0,
    epsilon: rule.epsilon,
    min: rule.min ?? 0,
    max: rule.max ?? 0,
    windowMs: rule.window,
    forMs: rule.for,
    keepFiringForMs: rule.keep_firing_for,
    severity: SEVERITIES[SEVERITIES.indexOf(rule.severity)],
    enabled: rule.enabled,
    description: rule.description,
  };
}

function quoteField(key: string): string {
  return /^[A-Za-z0-9_]{1,64}$/.test(key) ? key : quoteValue(key);
}

function lines(name: string, problems: [string, string][]): string[] {
  return problems.map(([field, what]) => `rule ${name}: ${field}: ${what}`);
}

/**
 * Validates one rule as the config file writes it (a TOML table: numbers,
 * booleans, duration strings). Throws {@linkcode RuleError}.
 *
 * @example
 * ```ts
 * const rule = parseRule({
 *   id: "any_port_down",
 *   metric: "ports_oper_down",
 *   condition: "above",
 *   threshold: 0,
 *   for: "5s",
 * });
 * rule.forMs; // 5000
 * ```
 */
export function parseRule(data: unknown, options: RuleOptions = {}): AlertRule {
  const checked = check(data, options);
  if (!Array.isArray(checked)) return checked;
  throw new RuleError(lines(ruleName(data, "(no id)"), checked));
}

/**
 * Validates the config file's list of rules (`alerting.rules`): each rule,
 * and that ids are unique. Throws {@linkcode RuleError} with every problem
 * (a rule without a usable id is named by its position, `#3`).
 *
 * @example
 * ```ts
 * const rules = parseRules([
 *   { id: "a", metric: "ports_oper_down", condition: "above", threshold: 0 },
 *   { id: "b", metric: "queue_depth", condition: "above", threshold: 1000 },
 * ], { metrics: ["ports_oper_down", "queue_depth"] });
 * rules.length; // 2
 * ```
 */
export function parseRules(
  list: unknown,
  options: RuleOptions = {},
): AlertRule[] {
  if (!Array.isArray(list)) {
    throw new RuleError(["rules: must be a list of rule tables"]);
  }
  const rules: AlertRule[] = [];
  const problems: string[] = [];
  const first = new Map<string, number>();
  list.forEach((data, index) => {
    const checked = check(data, options);
    const name = ruleName(data, `#${index + 1}`);
    if (Array.isArray(checked)) {
      problems.push(...lines(name, checked));
      return;
    }
    const earlier = first.get(checked.id);
    if (earlier !== undefined) {
      problems.push(`rule ${name}: id: duplicate (also rule #${earlier + 1})`);
      return;
    }
    first.set(checked.id, index);
    rules.push(checked);
  });
  if (problems.length > 0) throw new RuleError(problems);
  return rules;
}

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NUMERIC_FIELDS = new Set(["threshold", "epsilon", "min", "max"]);

/**
 * Validates a rule from CONFIG_DB: `id` from the key
 * `PORTSYNCD_ALERT_RULE|<id>`, `fields` the hash (every value a string:
 * numbers as decimal text, `enabled` as `true`/`false`, durations as in the
 * file). Throws {@linkcode RuleError}.
 *
 * @example
 * ```ts
 * const rule = parseRuleHash("any_port_down", {
 *   metric: "ports_oper_down",
 *   condition: "above",
 *   threshold: "0",
 *   enabled: "true",
 * });
 * rule.threshold; // 0
 * ```
 */
export function parseRuleHash(
  id: string,
  fields: Readonly<Record<string, string>>,
  options: RuleOptions = {},
): AlertRule {
  const data: Record<string, unknown> = { id };
  const problems: [string, string][] = [];
  for (const [key, text] of Object.entries(fields)) {
    if (key === "id") {
      problems.push(["id", "unknown key (the id is the key's last part)"]);
    } else if (NUMERIC_FIELDS.has(key)) {
      if (NUMBER_TEXT.test(text)) data[key] = Number(text);
      else problems.push([key, `${quoteValue(text)} is not a number`]);
    } else if (key === "enabled") {
      if (text === "true" || text === "false") data[key] = text === "true";
      else problems.push([key, `${quoteValue(text)} is not true or false`]);
    } else {
      data[key] = text;
    }
  }
  const checked = check(data, options);
  if (!Array.isArray(checked) && problems.length === 0) return checked;
  const seen = new Set(problems.map(([field]) => field));
  const rest = Array.isArray(checked)
    ? checked.filter(([field]) => !seen.has(field))
    : [];
  throw new RuleError(lines(ruleName(data, "(no id)"), [...problems, ...rest]));
}
