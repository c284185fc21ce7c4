/**
 * Suppression: a rule or one port's alert, until a time or indefinitely;
 * a suppressed alert keeps evaluating and returns to firing or resolves.
 * @module
 */

import assert from "node:assert/strict";
import { rig, rule } from "./engine_rig.ts";

function firingPorts(ports: string[], fields: Parameters<typeof rule>[0] = {}) {
  const r = rig();
  for (const port of ports) r.reader.setPort("down", port, 1);
  r.engine.setRules([rule({ id: "port_down", metric: "down", ...fields })]);
  return r;
}

Deno.test("suppressing a rule: its firing alerts become suppressed; lifting it returns them to firing", () => {
  const r = firingPorts(["Ethernet0", "Ethernet4"]);
  r.take();
  r.clock.now += 10;
  r.engine.setSuppressions([{ ruleId: "port_down", port: null, until: null }]);
  assert.deepEqual(r.take(), [
    "port_down|Ethernet0: firing -> suppressed",
    "port_down|Ethernet4: firing -> suppressed",
  ]);
  const [alert] = r.engine.active();
  assert.equal(alert.state, "suppressed");
  assert.equal(alert.stateSince, r.clock.now);
  assert.equal(alert.activeSince, 1_000_000, "activeSince is kept");
  r.engine.setSuppressions([]);
  assert.deepEqual(r.take(), [
    "port_down|Ethernet0: suppressed -> firing",
    "port_down|Ethernet4: suppressed -> firing",
  ]);
});

Deno.test("suppressing one port's alert leaves the rule's other ports firing", () => {
  const r = firingPorts(["Ethernet0", "Ethernet4"]);
  r.take();
  r.engine.setSuppressions([
    { ruleId: "port_down", port: "Ethernet4", until: null },
    { ruleId: "other_rule", port: null, until: null },
  ]);
  assert.deepEqual(r.take(), ["port_down|Ethernet4: firing -> suppressed"]);
  r.engine.setSuppressions([
    { ruleId: "port_down", port: "Ethernet4", until: null },
  ]);
  assert.deepEqual(r.take(), [], "the same suppressions again change nothing");
});

Deno.test("a suppressed alert keeps evaluating: it resolves when clear, and a new one starts suppressed", () => {
  const r = firingPorts(["Ethernet0"], { keepFiringForMs: 1000 });
  r.engine.setSuppressions([{ ruleId: "port_down", port: null, until: null }]);
  r.reader.setPort("down", "Ethernet0", 0);
  r.engine.evaluate(["down"]);
  assert.equal(r.engine.active()[0].state, "suppressed");
  r.advance(1000);
  r.reader.setPort("down", "Ethernet0", 2);
  r.engine.evaluate(["down"]);
  assert.deepEqual(r.take(), [
    "port_down|Ethernet0: null -> firing",
    "port_down|Ethernet0: firing -> suppressed",
    "port_down|Ethernet0: suppressed -> resolved",
    "port_down|Ethernet0: null -> suppressed",
  ]);
  assert.equal(r.engine.active()[0].value, 2);
});

Deno.test("a pending alert is not suppressed; it goes pending -> suppressed when for elapses", () => {
  const r = rig();
  r.reader.set("m", 0);
  r.engine.setRules([rule({ forMs: 1000 })]);
  r.engine.setSuppressions([{ ruleId: "r", port: null, until: null }]);
  r.reader.set("m", 1);
  r.engine.evaluate(["m"]);
  assert.equal(r.engine.active()[0].state, "pending");
  assert.deepEqual(r.advance(1000), ["r: pending -> suppressed"]);
});

Deno.test("a suppression expires on time (tick, no event): suppressed -> firing exactly at until", () => {
  const r = firingPorts(["Ethernet0"]);
  r.take();
  const until = r.clock.now + 60_000;
  r.engine.setSuppressions([{ ruleId: "port_down", port: "Ethernet0", until }]);
  assert.deepEqual(r.take(), ["port_down|Ethernet0: firing -> suppressed"]);
  assert.equal(r.engine.nextDeadline(), until);
  assert.deepEqual(r.advance(59_999), []);
  assert.deepEqual(r.advance(1), ["port_down|Ethernet0: suppressed -> firing"]);
  assert.equal(r.engine.nextDeadline(), null);
  assert.equal(r.transitions.at(-1)!.at, until);
});

Deno.test("an expired suppression of a resolved alert changes nothing; a rule and a port suppression: the later one counts", () => {
  const r = firingPorts(["Ethernet0"]);
  const now = r.clock.now;
  r.engine.setSuppressions([
    { ruleId: "port_down", port: null, until: now + 1000 },
    { ruleId: "port_down", port: "Ethernet0", until: now + 5000 },
  ]);
  assert.deepEqual(r.advance(1000), [], "still suppressed by the port's");
  assert.deepEqual(r.advance(4000), [
    "port_down|Ethernet0: suppressed -> firing",
  ]);
  r.engine.setSuppressions([{
    ruleId: "port_down",
    port: null,
    until: r.clock.now + 1000,
  }]);
  r.reader.setPort("down", "Ethernet0", 0);
  r.engine.evaluate(["down"]);
  assert.deepEqual(r.advance(1000), []);
  assert.deepEqual(r.take().slice(-2), [
    "port_down|Ethernet0: firing -> suppressed",
    "port_down|Ethernet0: suppressed -> resolved",
  ]);
});

Deno.test("a suppression whose until is already past is ignored", () => {
  const r = firingPorts(["Ethernet0"]);
  r.take();
  r.engine.setSuppressions([
    { ruleId: "port_down", port: null, until: r.clock.now },
    { ruleId: "port_down", port: "Ethernet0", until: r.clock.now - 1 },
  ]);
  assert.deepEqual(r.take(), []);
  assert.equal(r.engine.nextDeadline(), null);
});

Deno.test("a suppression set before its rule exists applies when the rule fires", () => {
  const r = rig();
  r.engine.setSuppressions([{ ruleId: "later", port: null, until: null }]);
  r.reader.set("m", 1);
  r.engine.setRules([rule({ id: "later" })]);
  assert.deepEqual(r.take(), ["later: null -> suppressed"]);
});

Deno.test("a suppressed alert whose rule is removed ends with suppressed -> null", () => {
  const r = firingPorts(["Ethernet0"]);
  r.engine.setSuppressions([{ ruleId: "port_down", port: null, until: null }]);
  r.engine.setRules([]);
  assert.deepEqual(r.take(), [
    "port_down|Ethernet0: null -> firing",
    "port_down|Ethernet0: firing -> suppressed",
    "port_down|Ethernet0: suppressed -> null",
  ]);
  assert.equal(r.transitions.at(-1)!.alert.state, "suppressed");
});
