/**
 * Live rule changes (unchanged rules keep their alerts' state; changed,
 * removed and disabled rules end theirs) and hostile rule sets (10,000
 * rules, huge numbers, duplicate ids).
 * @module
 */

import assert from "node:assert/strict";
import { parseRule } from "../../src/alerting/rules.ts";
import { rig, rule } from "./engine_rig.ts";

function twoRules() {
  const r = rig();
  r.reader.set("a", 1).set("b", 1);
  const rules = [
    rule({ id: "slow", metric: "a", forMs: 10_000 }),
    rule({ id: "fast", metric: "b", keepFiringForMs: 5000 }),
  ];
  r.engine.setRules(rules);
  return { r, rules };
}

Deno.test("setting the same rules again (equal copies) keeps every alert and its timers: no transition", () => {
  const { r, rules } = twoRules();
  r.clock.now += 6000;
  r.reader.set("b", 0);
  r.engine.evaluate(["b"]);
  r.take();
  r.engine.setRules(rules.map((each) => ({ ...each })));
  assert.deepEqual(r.take(), []);
  assert.deepEqual(r.advance(3999), []);
  assert.deepEqual(
    r.advance(1),
    ["slow: pending -> firing"],
    "for counted from the first start",
  );
  assert.deepEqual(
    r.advance(1000),
    ["fast: firing -> resolved"],
    "keep_firing_for too",
  );
});

Deno.test("a changed rule's alerts end (to null) and the rule starts afresh; the others are untouched", () => {
  const { r, rules } = twoRules();
  r.take();
  r.clock.now += 1000;
  r.engine.setRules([rules[0], { ...rules[1], severity: "critical" }]);
  assert.deepEqual(r.take(), ["fast: firing -> null", "fast: null -> firing"]);
  const fast = r.engine.active().find((alert) => alert.ruleId === "fast")!;
  assert.equal(fast.severity, "critical");
  assert.equal(fast.activeSince, 1_001_000);
  assert.equal(
    r.engine.active().find((a) => a.ruleId === "slow")!.activeSince,
    1_000_000,
  );
});

Deno.test("a removed or disabled rule's alerts end with to: null, from whatever state they had", () => {
  const { r, rules } = twoRules();
  r.take();
  r.engine.setRules([rules[0]]);
  assert.deepEqual(r.take(), ["fast: firing -> null"]);
  const gone = r.transitions.at(-1)!;
  assert.equal(gone.alert.state, "firing", "the snapshot keeps the last state");
  r.engine.setRules([{ ...rules[0], enabled: false }]);
  assert.deepEqual(r.take(), ["slow: pending -> null"]);
  assert.deepEqual(r.engine.active(), []);
  assert.equal(r.engine.nextDeadline(), null, "no timer left for them");
  assert.deepEqual(r.engine.metrics(), []);
  assert.equal(
    r.engine.rules().length,
    1,
    "rules() still lists the disabled rule",
  );
  r.engine.setRules([rules[0]]);
  assert.deepEqual(
    r.take(),
    ["slow: null -> pending"],
    "enabled again: a new alert",
  );
});

Deno.test("a new rule is evaluated at once, without waiting for its metric to change", () => {
  const r = rig();
  r.reader.set("ports_oper_down", 2);
  r.engine.setRules([rule({ id: "any_down", metric: "ports_oper_down" })]);
  assert.deepEqual(r.take(), ["any_down: null -> firing"]);
});

Deno.test("a duplicate id is a RangeError and changes nothing", () => {
  const { r, rules } = twoRules();
  r.take();
  assert.throws(
    () => r.engine.setRules([rules[0], { ...rules[1], id: "slow" }]),
    { name: "RangeError", message: 'duplicate alert rule id "slow"' },
  );
  assert.deepEqual(r.take(), []);
  assert.equal(r.engine.active().length, 2);
});

Deno.test("10,000 rules over 100 metrics: each evaluation touches only its metric's rules", () => {
  const r = rig();
  const rules = [];
  for (let i = 0; i < 10_000; i++) {
    r.reader.set(`metric_${i % 100}`, 0);
    rules.push(
      rule({ id: `rule_${i}`, metric: `metric_${i % 100}`, threshold: i }),
    );
  }
  r.engine.setRules(rules);
  assert.deepEqual(r.take(), []);
  r.reader.reads.clear();
  r.reader.set("metric_7", 5000);
  r.engine.evaluate(["metric_7"]);
  assert.deepEqual([...r.reader.reads], [["metric_7", 1]]);
  const fired = r.take();
  // metric_7's rules have thresholds 7, 107, ..., 4907 (below 5000): 50 of them.
  assert.equal(fired.length, 50);
  assert.equal(fired[0], "rule_7: null -> firing");
  r.engine.setRules(rules.slice(0, 5000));
  assert.equal(r.take().length, 0, "the firing rules (ids < 5000) are kept");
  r.engine.setRules([]);
  assert.equal(r.take().length, 50);
});

Deno.test("huge values and thresholds: 1e308, ±Infinity values, Number.MAX_VALUE", () => {
  const r = rig();
  r.reader.set("m", 0);
  const big = parseRule({
    id: "big",
    metric: "m",
    condition: "above",
    threshold: 1e308,
  });
  const tiny = parseRule({
    id: "tiny",
    metric: "m",
    condition: "below",
    threshold: -Number.MAX_VALUE,
  });
  r.engine.setRules([big, tiny]);
  r.reader.set("m", Number.MAX_VALUE);
  r.engine.evaluate();
  r.reader.set("m", Infinity);
  r.engine.evaluate();
  r.reader.set("m", -Infinity);
  r.engine.evaluate();
  r.reader.set("m", NaN);
  r.engine.evaluate();
  assert.deepEqual(r.take(), [
    "big: null -> firing",
    "big: firing -> resolved",
    "tiny: null -> firing",
    "tiny: firing -> resolved",
  ]);
});

Deno.test("ids with dots, dashes and underscores make keys as they are; a unicode id never reaches the engine (the schema rejects it)", () => {
  const r = rig();
  r.reader.setPort("m", "Ethernet0", 1);
  const id = "a.b-c_D.9";
  r.engine.setRules([
    parseRule({ id, metric: "m", condition: "above", threshold: 0 }),
  ]);
  assert.deepEqual(r.take(), ["a.b-c_D.9|Ethernet0: null -> firing"]);
  assert.throws(() =>
    parseRule({ id: "ﬁre", metric: "m", condition: "above", threshold: 0 })
  );
});
