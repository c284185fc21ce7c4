/**
 * The rule schema: the TOML form and the CONFIG_DB hash form give the same
 * AlertRule; durations; defaults; every problem one line naming the rule
 * and the field; hostile input (unicode and long ids, huge numbers, 10,000
 * rules, control characters).
 * @module
 */

import assert from "node:assert/strict";
import { parse } from "smol-toml";
import {
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
} from "../../src/alerting/duration.ts";
import {
  MAX_RULE_PROBLEMS,
  parseRule,
  parseRuleHash,
  parseRules,
  RuleError,
} from "../../src/alerting/rules.ts";
import type { AlertRule } from "../../src/alerting/types.ts";
import { rule } from "./engine_rig.ts";

const METRICS = ["ports_oper_down", "port_oper_up", "events_total"];

/** The problem lines of `fn`'s RuleError. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RuleError, String(error));
    assert.equal(error.message, error.problems.join("\n"));
    return error.problems;
  }
  assert.fail("no RuleError");
}

const ANY_PORT_DOWN: AlertRule = rule({
  id: "any_port_down",
  metric: "ports_oper_down",
  description: "Port {{port}} is down",
});

Deno.test("the issue's TOML example parses to the rule, with every field", () => {
  const toml = parse(`
[[alerting.rules]]
id = "any_port_down"
metric = "ports_oper_down"
condition = "above"
threshold = 0
for = "0s"
keep_firing_for = "0s"
severity = "warning"
enabled = true
description = "Port {{port}} is down"

[[alerting.rules]]
id = "flapping"
metric = "events_total"
condition = "rate_of_change"
threshold = 50.5
window = "2m"
for = "500ms"
keep_firing_for = "1h"
severity = "critical"

[[alerting.rules]]
id = "some.down-1"
metric = "ports_oper_down"
condition = "between"
min = 1
max = 5
enabled = false
`) as { alerting: { rules: unknown[] } };
  const rules = parseRules(toml.alerting.rules, { metrics: METRICS });
  assert.deepEqual(rules[0], ANY_PORT_DOWN);
  assert.deepEqual(rules[1], {
    ...ANY_PORT_DOWN,
    id: "flapping",
    metric: "events_total",
    condition: "rate_of_change",
    threshold: 50.5,
    windowMs: 120_000,
    forMs: 500,
    keepFiringForMs: 3_600_000,
    severity: "critical",
    description: "",
  });
  assert.deepEqual(rules[2], {
    ...ANY_PORT_DOWN,
    id: "some.down-1",
    condition: "between",
    min: 1,
    max: 5,
    enabled: false,
    description: "",
  });
});

Deno.test("the CONFIG_DB hash (every field a string) gives the same rule as the table", () => {
  const fromHash = parseRuleHash("any_port_down", {
    metric: "ports_oper_down",
    condition: "above",
    threshold: "0",
    for: "0s",
    keep_firing_for: "0s",
    severity: "warning",
    enabled: "true",
    description: "Port {{port}} is down",
  }, { metrics: new Set(METRICS) });
  assert.deepEqual(fromHash, ANY_PORT_DOWN);
  const between = parseRuleHash("b", {
    metric: "m",
    condition: "between",
    min: "-1.5e2",
    max: ".5",
    epsilon: "0.001",
    enabled: "false",
  });
  assert.deepEqual(
    [between.min, between.max, between.epsilon, between.enabled],
    [
      -150,
      0.5,
      0.001,
      false,
    ],
  );
});

Deno.test("durations: whole units largest first, 0, up to 365d; anything else is null", () => {
  const good: [string, number][] = [
    ["0", 0],
    ["0s", 0],
    ["500ms", 500],
    ["5s", 5000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1d2h3m4s5ms", 93_784_005],
    ["365d", MAX_DURATION_MS],
  ];
  for (const [text, ms] of good) {
    assert.equal(parseDuration(text), ms, text);
    assert.equal(parseDuration(formatDuration(ms)), ms, `round trip ${text}`);
  }
  for (
    const text of [
      "",
      "5",
      "1.5s",
      "-1s",
      " 5s",
      "5 s",
      "5S",
      "30m1h",
      "1s1s",
      "366d",
      "8761h",
      "9999999999999d",
      "1y",
      "5sec",
      "Infinity",
    ]
  ) {
    assert.equal(parseDuration(text), null, JSON.stringify(text));
  }
  assert.equal(formatDuration(93_784_005), "1d2h3m4s5ms");
  assert.equal(formatDuration(0), "0s");
});

Deno.test("schema errors are one line each naming the rule and the field", () => {
  const base = {
    id: "r1",
    metric: "ports_oper_down",
    condition: "above",
    threshold: 0,
  };
  const cases: [Record<string, unknown>, string[]][] = [
    [{ ...base, for: "5 minutes" }, [
      'rule r1: for: "5 minutes" is not a duration (whole units, largest first, up to 365d: "500ms", "5s", "2m", "1h30m")',
    ]],
    [{ ...base, keep_firing_for: 5 }, [
      'rule r1: keep_firing_for: must be a duration string like "5s"',
    ]],
    [{ ...base, id: "any_port_down", condition: "between", min: 5, max: 1 }, [
      "rule any_port_down: min: 5 is above max (1)",
    ]],
    [{ ...base, metric: "ports_down" }, [
      'rule r1: metric: unknown metric "ports_down"',
    ]],
    [{ ...base, threshhold: 1 }, ["rule r1: threshhold: unknown key"]],
    [{ ...base, threshold: undefined }, [
      "rule r1: threshold: required for above",
    ]],
    [{ ...base, condition: "between" }, [
      "rule r1: min: required for between",
      "rule r1: max: required for between",
    ]],
    [{ ...base, condition: "rate_of_change", window: "0s" }, [
      "rule r1: window: must be more than 0 for rate_of_change",
    ]],
    [{ ...base, condition: "over" }, [
      "rule r1: condition: must be one of above, below, equals, between, rate_of_change",
    ]],
    [{ ...base, severity: "page" }, [
      "rule r1: severity: must be one of info, warning, critical",
    ]],
    [{ ...base, enabled: "yes" }, ["rule r1: enabled: must be true or false"]],
    [{ ...base, epsilon: -1, condition: "equals" }, [
      "rule r1: epsilon: must be 0 or more",
    ]],
    [{ ...base, description: "{{host}} is down" }, [
      'rule r1: description: unknown placeholder "{{host}}" (known: {{port}}, {{value}}, {{rule}}, {{threshold}})',
    ]],
    [{ ...base, description: "a\nb" }, [
      "rule r1: description: must not contain control characters",
    ]],
    [{ ...base, metric: "bad metric" }, [
      "rule r1: metric: must be a metric name ([A-Za-z_:][A-Za-z0-9_:]*, at most 128 characters)",
    ]],
    [{ metric: "ports_oper_down", condition: "above", threshold: 0 }, [
      "rule (no id): id: required",
    ]],
  ];
  for (const [data, expected] of cases) {
    assert.deepEqual(
      problems(() => parseRule(data, { metrics: METRICS })),
      expected,
      JSON.stringify(data),
    );
  }
});

Deno.test("hash form errors: a number or boolean that is not one, an id field, the same schema errors", () => {
  assert.deepEqual(
    problems(() =>
      parseRuleHash("h1", {
        metric: "ports_oper_down",
        condition: "above",
        threshold: "0x10",
        enabled: "True",
        id: "h1",
        for: "1.5s",
      }, { metrics: METRICS })
    ),
    [
      'rule h1: threshold: "0x10" is not a number',
      'rule h1: enabled: "True" is not true or false',
      "rule h1: id: unknown key (the id is the key's last part)",
      'rule h1: for: "1.5s" is not a duration (whole units, largest first, up to 365d: "500ms", "5s", "2m", "1h30m")',
    ],
  );
  for (const text of ["", " 1", "1 ", "Infinity", "NaN", "1e", "--1", "1,5"]) {
    assert.deepEqual(
      problems(() =>
        parseRuleHash("h", { metric: "m", condition: "above", threshold: text })
      ),
      [`rule h: threshold: ${JSON.stringify(text)} is not a number`],
    );
  }
  assert.deepEqual(
    problems(() =>
      parseRuleHash("h", {
        metric: "m",
        condition: "above",
        threshold: "1e999",
      })
    ),
    ["rule h: threshold: must be a finite number"],
  );
});

Deno.test("ids: A-Z a-z 0-9 _ . - up to 128 characters; unicode, spaces, controls and longer ids are rejected, shown escaped", () => {
  const rule = (id: unknown) => ({
    id,
    metric: "m",
    condition: "above",
    threshold: 0,
  });
  for (const id of ["a", "A.b-c_9", "x".repeat(128), "..."]) {
    assert.equal(parseRule(rule(id)).id, id);
  }
  const bad = "must be 1 to 128 characters of A-Z a-z 0-9 _ . -";
  const cases: [unknown, string][] = [
    ["ﬁre", `rule "ﬁre": id: ${bad}`],
    ["port_dоwn", `rule "port_dоwn": id: ${bad}`], // Cyrillic o
    ["a b", `rule "a b": id: ${bad}`],
    ["evil\u001b[31m", `rule "evil\\u001b[31m": id: ${bad}`],
    ["rtl\u202eid", `rule "rtl\\u202eid": id: ${bad}`],
    ["a|b", `rule "a|b": id: ${bad}`],
    ["", `rule (no id): id: ${bad}`],
    [42, "rule (no id): id: must be a string"],
  ];
  for (const [id, line] of cases) {
    assert.deepEqual(problems(() => parseRule(rule(id))), [line]);
  }
  const long = problems(() => parseRule(rule("y".repeat(10_000))));
  assert.equal(long.length, 1);
  assert.match(long[0], /^rule "y{61}\.\.\.": id: must be 1 to 128/);
  assert.deepEqual(
    problems(() =>
      parseRuleHash("é", { metric: "m", condition: "above", threshold: "0" })
    ),
    [`rule "é": id: ${bad}`],
  );
});

Deno.test("huge and odd numbers: 1e308 and -Number.MAX_VALUE are accepted; Infinity, NaN, bigint and strings are not", () => {
  const rule = (threshold: unknown) => ({
    id: "n",
    metric: "m",
    condition: "above",
    threshold,
  });
  assert.equal(parseRule(rule(1e308)).threshold, 1e308);
  assert.equal(parseRule(rule(-Number.MAX_VALUE)).threshold, -Number.MAX_VALUE);
  assert.equal(parseRule(rule(5e-324)).threshold, 5e-324);
  for (const value of [Infinity, -Infinity, NaN, 10n ** 30n, "5", null]) {
    assert.deepEqual(problems(() => parseRule(rule(value))), [
      "rule n: threshold: must be a finite number",
    ]);
  }
  const toml = parse(`x = 1e400\ny = inf\nz = nan`) as Record<string, unknown>;
  for (const value of Object.values(toml)) {
    assert.throws(() => parseRule(rule(value)), RuleError);
  }
});

Deno.test("a list: duplicates and rules without an id are named by position; not a list is one line", () => {
  assert.deepEqual(
    problems(() =>
      parseRules([
        { id: "a", metric: "m", condition: "above", threshold: 0 },
        { id: "a", metric: "m", condition: "below", threshold: 0 },
        { metric: "m" },
        "not a table",
      ])
    ),
    [
      "rule a: id: duplicate (also rule #1)",
      "rule #3: id: required",
      "rule #3: condition: required",
      "rule #4: (rule): must be a table of rule fields",
    ],
  );
  assert.deepEqual(problems(() => parseRules({ id: "a" })), [
    "rules: must be a list of rule tables",
  ]);
  assert.deepEqual(parseRules([]), []);
});

Deno.test("10,000 rules parse; 10,000 bad ones are at most MAX_RULE_PROBLEMS lines, the last counting the rest", () => {
  const good = Array.from({ length: 10_000 }, (_, i) => ({
    id: `rule_${i}`,
    metric: METRICS[i % 3],
    condition: "above",
    threshold: i,
    for: `${i}ms`,
  }));
  const rules = parseRules(good, { metrics: METRICS });
  assert.equal(rules.length, 10_000);
  assert.equal(rules[9_999].forMs, 9_999);
  const bad = good.map((rule) => ({ ...rule, severity: "loud" }));
  const lines = problems(() => parseRules(bad, { metrics: METRICS }));
  assert.equal(lines.length, MAX_RULE_PROBLEMS);
  assert.equal(
    lines.at(-1),
    `${10_000 - MAX_RULE_PROBLEMS + 1} more problems not shown`,
  );
});
