/**
 * The alert state machine on an injected clock: every transition, `for`
 * and `keep_firing_for` at their boundaries, time-based transitions with no
 * event, and the alerts' fields.
 * @module
 */

import assert from "node:assert/strict";
import { rig, rule } from "./engine_rig.ts";

function setup(fields: Parameters<typeof rule>[0] = {}) {
  const r = rig();
  r.reader.set("m", 0);
  r.engine.setRules([rule(fields)]);
  return r;
}

Deno.test("for = 0: null -> firing when the condition holds, firing -> resolved when it is clear (keep 0)", () => {
  const r = setup();
  assert.deepEqual(r.take(), []);
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), ["r: null -> firing"]);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), [], "firing while it holds: no transition");
  r.reader.set("m", 0);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), ["r: firing -> resolved"]);
  assert.deepEqual(r.engine.active(), []);
});

Deno.test("for: pending until for has elapsed, firing exactly at activeSince + for (on tick, no event needed)", () => {
  const r = setup({ forMs: 5000 });
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), ["r: null -> pending"]);
  assert.equal(r.engine.nextDeadline(), r.clock.now + 5000);
  assert.deepEqual(r.advance(4999), []);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), [], "an evaluation 1 ms early stays pending");
  assert.deepEqual(r.advance(1), ["r: pending -> firing"]);
  assert.equal(r.engine.nextDeadline(), null);
  const [alert] = r.engine.active();
  assert.equal(alert.state, "firing");
  assert.equal(alert.activeSince, 1_000_000);
  assert.equal(alert.stateSince, 1_005_000);
});

Deno.test("for: an evaluation after for has elapsed fires without a tick", () => {
  const r = setup({ forMs: 5000 });
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  r.clock.now += 5000;
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), ["r: null -> pending", "r: pending -> firing"]);
});

Deno.test("pending with the condition clear -> gone (to null), and never fires later", () => {
  const r = setup({ forMs: 5000 });
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  r.clock.now += 4000;
  r.reader.set("m", 0);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), ["r: null -> pending", "r: pending -> null"]);
  assert.equal(r.engine.nextDeadline(), null);
  assert.deepEqual(r.advance(10_000), []);
  assert.deepEqual(r.engine.active(), []);
});

Deno.test("pending that clears and holds again starts its for afresh", () => {
  const r = setup({ forMs: 5000 });
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  r.clock.now += 4000;
  r.reader.set("m", 0);
  r.engine.evaluate(["m"]);
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.advance(4999), []);
  assert.deepEqual(r.advance(1), ["r: pending -> firing"]);
  assert.deepEqual(r.take(), [
    "r: null -> pending",
    "r: pending -> null",
    "r: null -> pending",
    "r: pending -> firing",
  ]);
});

Deno.test("keep_firing_for: firing while clear for less, resolved exactly at clearSince + keep_firing_for", () => {
  const r = setup({ keepFiringForMs: 3000 });
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  r.reader.set("m", 0);
  r.clock.now += 100;
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), ["r: null -> firing"]);
  assert.equal(r.engine.active()[0].state, "firing");
  assert.equal(r.engine.active()[0].value, 0, "the value is the last one read");
  assert.equal(r.engine.nextDeadline(), r.clock.now + 3000);
  assert.deepEqual(r.advance(2999), []);
  assert.deepEqual(r.advance(1), ["r: firing -> resolved"]);
  assert.equal(r.engine.nextDeadline(), null);
});

Deno.test("keep_firing_for: the condition returning resets the clear time; an evaluation past it resolves without a tick", () => {
  const r = setup({ keepFiringForMs: 3000 });
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  r.reader.set("m", 0);
  r.engine.evaluate(["m"]);
  r.clock.now += 2000;
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  assert.equal(r.engine.nextDeadline(), null, "holding again: nothing timed");
  r.reader.set("m", 0);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.advance(2999), []);
  r.clock.now += 1;
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), ["r: null -> firing", "r: firing -> resolved"]);
});

Deno.test("resolved -> a new alert when the condition returns (null -> pending), with a new activeSince", () => {
  const r = setup({ forMs: 1000 });
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  r.advance(1000);
  r.reader.set("m", 0);
  r.engine.evaluate(["m"]);
  r.clock.now += 500;
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), [
    "r: null -> pending",
    "r: pending -> firing",
    "r: firing -> resolved",
    "r: null -> pending",
  ]);
  assert.equal(r.engine.active()[0].activeSince, r.clock.now);
});

Deno.test("transitions carry snapshots: state, value, times, severity and the message", () => {
  const r = rig();
  r.reader.set("ports_oper_down", 0);
  r.engine.setRules([rule({
    id: "any_port_down",
    metric: "ports_oper_down",
    severity: "critical",
    forMs: 2000,
    description: "{{value}} ports down (rule {{rule}}, above {{threshold}})",
  })]);
  r.reader.set("ports_oper_down", 3);
  r.engine.evaluate(["ports_oper_down"]);
  r.clock.now += 2000;
  r.reader.set("ports_oper_down", 4);
  r.engine.evaluate(["ports_oper_down"]);
  const [pending, firing] = r.transitions;
  assert.deepEqual(pending, {
    alert: {
      key: "any_port_down",
      ruleId: "any_port_down",
      port: null,
      state: "pending",
      severity: "critical",
      value: 3,
      activeSince: 1_000_000,
      stateSince: 1_000_000,
      message: "3 ports down (rule any_port_down, above 0)",
    },
    from: null,
    to: "pending",
    at: 1_000_000,
  });
  assert.equal(firing.alert.state, "firing");
  assert.equal(firing.alert.value, 4);
  assert.equal(firing.alert.stateSince, 1_002_000);
  assert.equal(firing.at, 1_002_000);
  assert.equal(
    firing.alert.message,
    "4 ports down (rule any_port_down, above 0)",
  );
  assert.notEqual(
    firing.alert,
    r.engine.active()[0],
    "active() makes its own copies",
  );
  assert.equal(pending.alert.value, 3, "an earlier snapshot does not change");
});

Deno.test("active(): pending and firing alerts with their current value; nothing after resolve", () => {
  const r = rig();
  r.reader.set("a", 1).set("b", 1);
  r.engine.setRules([
    rule({ id: "slow", metric: "a", forMs: 60_000 }),
    rule({ id: "fast", metric: "b" }),
  ]);
  assert.deepEqual(
    r.engine.active().map((alert) => [alert.key, alert.state, alert.value]),
    [["slow", "pending", 1], ["fast", "firing", 1]],
  );
  r.reader.set("b", 7);
  r.engine.evaluate(["b"]);
  assert.equal(r.engine.active()[1].value, 7);
});

Deno.test("evaluate(metrics) reads only the metrics named, once each however many rules read them", () => {
  const r = rig();
  r.reader.set("a", 0).set("b", 0);
  r.engine.setRules([
    rule({ id: "a1", metric: "a" }),
    rule({ id: "a2", metric: "a", threshold: 5 }),
    rule({ id: "b1", metric: "b" }),
  ]);
  r.reader.reads.clear();
  r.engine.evaluate(["a", "not_a_rule_metric"]);
  assert.deepEqual([...r.reader.reads], [["a", 1]]);
  r.engine.evaluate(new Set(["b"]));
  assert.deepEqual([...r.reader.reads], [["a", 1], ["b", 1]]);
  r.engine.evaluate();
  assert.deepEqual([...r.reader.reads], [["a", 2], ["b", 2]]);
  assert.deepEqual(r.engine.metrics(), ["a", "b"]);
});

Deno.test("without the reader's value() fast path, series() gives the same results", () => {
  const r = rig();
  r.reader.fastPath = false;
  r.reader.value = undefined;
  r.reader.set("m", 0);
  r.engine.setRules([rule({ threshold: 2 })]);
  r.reader.set("m", 3);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), ["r: null -> firing"]);
});

Deno.test("a metric that cannot be read: logged once, its alerts count as clear, evaluate does not throw", () => {
  const r = rig();
  r.reader.set("m", 1);
  r.engine.setRules([rule({ keepFiringForMs: 1000 })]);
  r.reader.values.delete("m");
  r.engine.evaluate(["m"]);
  r.engine.evaluate(["m"]);
  r.engine.evaluate();
  assert.deepEqual(r.logs, [
    'WARN alert metric cannot be read; its alerts count as clear metric=m error="unknown metric \\"m\\""',
  ]);
  assert.deepEqual(r.advance(1000), ["r: firing -> resolved"]);
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  assert.deepEqual(r.take(), [
    "r: null -> firing",
    "r: firing -> resolved",
    "r: null -> firing",
  ]);
});

Deno.test("tick and nextDeadline with nothing timed: no transitions, null", () => {
  const r = setup();
  r.reader.set("m", 1);
  r.engine.evaluate();
  r.take();
  assert.equal(r.engine.nextDeadline(), null);
  assert.deepEqual(r.advance(1e9), []);
});
