/**
 * Per-port metrics: one alert per port (`<rule id>|<port>`), a series that
 * disappears counts as clear, series without a port label.
 * @module
 */

import assert from "node:assert/strict";
import { rig, rule } from "./engine_rig.ts";

function portRig(fields: Parameters<typeof rule>[0] = {}) {
  const r = rig();
  for (const port of ["Ethernet0", "Ethernet4", "Ethernet8"]) {
    r.reader.setPort("port_oper_up", port, 1);
  }
  r.engine.setRules([rule({
    id: "port_down",
    metric: "port_oper_up",
    condition: "below",
    threshold: 1,
    description: "Port {{port}} is down",
    ...fields,
  })]);
  return r;
}

Deno.test("a per-port metric makes one alert per port, keyed <rule id>|<port>, with the port in the message", () => {
  const r = portRig();
  r.reader.setPort("port_oper_up", "Ethernet4", 0);
  r.reader.setPort("port_oper_up", "Ethernet8", 0);
  r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.take(), [
    "port_down|Ethernet4: null -> firing",
    "port_down|Ethernet8: null -> firing",
  ]);
  const alerts = r.engine.active();
  assert.deepEqual(
    alerts.map((alert) => [alert.key, alert.ruleId, alert.port, alert.message]),
    [
      [
        "port_down|Ethernet4",
        "port_down",
        "Ethernet4",
        "Port Ethernet4 is down",
      ],
      [
        "port_down|Ethernet8",
        "port_down",
        "Ethernet8",
        "Port Ethernet8 is down",
      ],
    ],
  );
  r.reader.setPort("port_oper_up", "Ethernet4", 1);
  r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.take(), ["port_down|Ethernet4: firing -> resolved"]);
  assert.equal(r.engine.active().length, 1);
});

Deno.test("a firing port whose series disappears resolves (after keep_firing_for)", () => {
  const r = portRig({ keepFiringForMs: 1000 });
  r.reader.setPort("port_oper_up", "Ethernet0", 0);
  r.engine.evaluate(["port_oper_up"]);
  r.reader.removePort("port_oper_up", "Ethernet0");
  r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.take(), ["port_down|Ethernet0: null -> firing"]);
  assert.equal(r.engine.active()[0].value, 0, "the last value it had");
  assert.deepEqual(r.advance(1000), [
    "port_down|Ethernet0: firing -> resolved",
  ]);
});

Deno.test("a pending port whose series disappears is gone at once", () => {
  const r = portRig({ forMs: 5000 });
  r.reader.setPort("port_oper_up", "Ethernet8", 0);
  r.engine.evaluate(["port_oper_up"]);
  r.reader.removePort("port_oper_up", "Ethernet8");
  r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.take(), [
    "port_down|Ethernet8: null -> pending",
    "port_down|Ethernet8: pending -> null",
  ]);
  assert.deepEqual(r.advance(5000), []);
});

Deno.test("every series gone at once (the metric becomes unreadable) clears every port", () => {
  const r = portRig();
  r.reader.setPort("port_oper_up", "Ethernet0", 0);
  r.reader.setPort("port_oper_up", "Ethernet4", 0);
  r.engine.evaluate(["port_oper_up"]);
  r.take();
  r.reader.values.delete("port_oper_up");
  r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.take(), [
    "port_down|Ethernet0: firing -> resolved",
    "port_down|Ethernet4: firing -> resolved",
  ]);
});

Deno.test("ports are independent: for runs per port from when each began to hold", () => {
  const r = portRig({ forMs: 1000 });
  r.reader.setPort("port_oper_up", "Ethernet0", 0);
  r.engine.evaluate(["port_oper_up"]);
  r.clock.now += 500;
  r.reader.setPort("port_oper_up", "Ethernet4", 0);
  r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.advance(500), ["port_down|Ethernet0: pending -> firing"]);
  assert.deepEqual(r.advance(499), []);
  assert.deepEqual(r.advance(1), ["port_down|Ethernet4: pending -> firing"]);
});

Deno.test("a labelled metric without a port label (build_info{version}) is one alert keyed by the rule id", () => {
  const r = rig();
  r.reader.fastPath = false;
  r.reader.value = undefined;
  r.reader.series = () => [{ labels: { version: "1.2.3" }, value: 1 }];
  r.engine.setRules([
    rule({
      id: "built",
      metric: "build_info",
      condition: "equals",
      threshold: 1,
    }),
  ]);
  assert.deepEqual(r.take(), ["built: null -> firing"]);
  assert.equal(r.engine.active()[0].port, null);
  r.reader.series = () => [];
  r.engine.evaluate(["build_info"]);
  assert.deepEqual(
    r.take(),
    ["built: firing -> resolved"],
    "its series is gone",
  );
});

Deno.test("1,000 ports: only the ports that change make transitions", () => {
  const r = rig();
  for (let i = 0; i < 1000; i++) {
    r.reader.setPort("port_oper_up", `Ethernet${i * 4}`, 1);
  }
  r.engine.setRules([
    rule({
      id: "down",
      metric: "port_oper_up",
      condition: "below",
      threshold: 1,
    }),
  ]);
  for (let i = 0; i < 1000; i += 100) {
    r.reader.setPort("port_oper_up", `Ethernet${i * 4}`, 0);
  }
  r.engine.evaluate(["port_oper_up"]);
  assert.equal(r.take().length, 10);
  for (let round = 0; round < 5; round++) r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.take(), []);
  assert.equal(r.engine.active().length, 10);
});

Deno.test("ports coming and going in waves: transitions in series order, rule by rule, over many more ports than alerts at a time", () => {
  // 300 ports, 5 down at a time, the down ones moving on each wave: the
  // engine sees far more ports than it holds alerts for at once.
  const r = rig();
  const ports = Array.from({ length: 300 }, (_, i) => `Ethernet${i * 4}`);
  for (const port of ports) r.reader.setPort("port_oper_up", port, 1);
  const down = (fields: Parameters<typeof rule>[0]) =>
    rule({
      metric: "port_oper_up",
      condition: "below",
      threshold: 1,
      ...fields,
    });
  r.engine.setRules([down({ id: "a" }), down({ id: "b" })]);
  let before = new Set<string>();
  for (let wave = 0; wave < 60; wave++) {
    const now = new Set(ports.slice((wave * 5) % 300, (wave * 5) % 300 + 5));
    for (const port of ports) {
      r.reader.setPort("port_oper_up", port, now.has(port) ? 0 : 1);
    }
    r.engine.evaluate(["port_oper_up"]);
    const expected: string[] = [];
    for (const id of ["a", "b"]) {
      for (const port of ports) {
        if (now.has(port)) expected.push(`${id}|${port}: null -> firing`);
        else if (before.has(port)) {
          expected.push(`${id}|${port}: firing -> resolved`);
        }
      }
    }
    assert.deepEqual(r.take(), expected, `wave ${wave}`);
    before = now;
  }
  assert.deepEqual(
    r.engine.active().map((alert) => alert.key),
    ["a", "b"].flatMap((id) => [...before].map((port) => `${id}|${port}`)),
  );
});

Deno.test("series that disappear resolve in the order their alerts began, not the series order", () => {
  const r = rig();
  for (const port of ["Ethernet0", "Ethernet4", "Ethernet8"]) {
    r.reader.setPort("port_oper_up", port, 1);
  }
  r.engine.setRules([rule({
    id: "down",
    metric: "port_oper_up",
    condition: "below",
    threshold: 1,
  })]);
  r.reader.setPort("port_oper_up", "Ethernet8", 0);
  r.engine.evaluate(["port_oper_up"]);
  r.reader.setPort("port_oper_up", "Ethernet0", 0);
  r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.take(), [
    "down|Ethernet8: null -> firing",
    "down|Ethernet0: null -> firing",
  ]);
  assert.deepEqual(r.engine.active().map((alert) => alert.port), [
    "Ethernet8",
    "Ethernet0",
  ]);
  r.reader.removePort("port_oper_up", "Ethernet0");
  r.reader.removePort("port_oper_up", "Ethernet8");
  r.engine.evaluate(["port_oper_up"]);
  assert.deepEqual(r.take(), [
    "down|Ethernet8: firing -> resolved",
    "down|Ethernet0: firing -> resolved",
  ]);
});
