/**
 * Every condition at its boundaries (equal to the threshold, NaN,
 * ±Infinity, between edges, equals epsilon), and rate_of_change: one
 * sample, the sliding window, rises and falls, bounded storage, and the
 * engine re-evaluating a rate rule on time with no event.
 * @module
 */

import assert from "node:assert/strict";
import {
  conditionHolds,
  RATE_SLOTS,
  rateHolds,
  RateWindow,
} from "../../src/alerting/conditions.ts";
import { rig, rule } from "./engine_rig.ts";

function holds(fields: Parameters<typeof rule>[0], values: number[]) {
  const r = rule(fields);
  return values.map((value) => conditionHolds(r, value));
}

Deno.test("above: strictly greater; equal to the threshold does not hold; NaN never; Infinity does, -Infinity does not", () => {
  assert.deepEqual(
    holds({ condition: "above", threshold: 5 }, [
      5,
      5.000001,
      4.999999,
      NaN,
      Infinity,
      -Infinity,
    ]),
    [false, true, false, false, true, false],
  );
  assert.deepEqual(
    holds({ condition: "above", threshold: -1e308 }, [-1e308, -Infinity, 0]),
    [false, false, true],
  );
});

Deno.test("below: strictly less; equal does not hold; NaN never; -Infinity does, Infinity does not", () => {
  assert.deepEqual(
    holds({ condition: "below", threshold: 0 }, [
      0,
      -0,
      -1e-300,
      1e-300,
      NaN,
      -Infinity,
      Infinity,
    ]),
    [false, false, true, false, false, true, false],
  );
});

Deno.test("equals: |value - threshold| <= epsilon, both edges included; epsilon 0 is exact; NaN and ±Infinity never", () => {
  assert.deepEqual(
    holds({ condition: "equals", threshold: 1, epsilon: 0.5 }, [
      0.5,
      1.5,
      0.49,
      1.51,
      1,
      NaN,
      Infinity,
      -Infinity,
    ]),
    [true, true, false, false, true, false, false, false],
  );
  assert.deepEqual(
    holds({ condition: "equals", threshold: 0.3, epsilon: 0 }, [
      0.3,
      0.1 + 0.2,
    ]),
    [true, false],
  );
});

Deno.test("between: min <= value <= max inclusive at both edges; min = max; NaN and ±Infinity never", () => {
  assert.deepEqual(
    holds({ condition: "between", min: 1, max: 5 }, [
      1,
      5,
      3,
      0.999,
      5.001,
      NaN,
      Infinity,
      -Infinity,
    ]),
    [true, true, true, false, false, false, false, false],
  );
  assert.deepEqual(holds({ condition: "between", min: 2, max: 2 }, [2, 2.1]), [
    true,
    false,
  ]);
});

Deno.test("rate_of_change never holds through conditionHolds (it needs a window)", () => {
  assert.deepEqual(
    holds({ condition: "rate_of_change", threshold: -1 }, [1e9]),
    [false],
  );
});

Deno.test("rateHolds: threshold >= 0 is a rise faster than it, negative a fall faster than its size, NaN never", () => {
  assert.deepEqual(
    [
      [2, 1],
      [1, 1],
      [0, 0],
      [1e-9, 0],
      [-2, -1],
      [-1, -1],
      [2, -1],
      [NaN, 0],
      [NaN, -1],
      [Infinity, 1e308],
      [-Infinity, -1e308],
    ]
      .map(([rate, threshold]) => rateHolds(rate, threshold)),
    [true, false, false, true, true, false, false, false, false, true, true],
  );
});

Deno.test("RateWindow: one sample is no rate; two give the change over the window per second", () => {
  const window = new RateWindow(10_000);
  assert.ok(Number.isNaN(window.rate(0)));
  window.add(0, 100);
  assert.ok(Number.isNaN(window.rate(0)));
  assert.ok(Number.isNaN(window.rate(5000)));
  window.add(1000, 150);
  assert.equal(window.rate(1000), 5, "50 over a 10 s window");
});

Deno.test("RateWindow: the window slides past a step (the reference is the newest sample at or before its start)", () => {
  const window = new RateWindow(10_000);
  window.add(0, 0);
  window.add(2000, 10);
  window.add(4000, 30);
  assert.equal(window.expiresAt, 12_000);
  assert.equal(window.rate(11_999), 3, "30 over 10 s");
  assert.equal(window.rate(12_000), 2, "from the step at 2 s: 20 over 10 s");
  assert.equal(window.expiresAt, 14_000);
  assert.ok(Number.isNaN(window.rate(14_000)), "only the last step is left");
  assert.equal(window.expiresAt, Infinity);
  window.add(20_000, 20);
  assert.equal(window.rate(20_000), -1, "a fall: 10 less over 10 s");
});

Deno.test("RateWindow: NaN and a repeated value are not samples; a sample at an earlier time replaces the newest value", () => {
  const window = new RateWindow(10_000);
  window.add(0, 1);
  window.add(1000, NaN);
  window.add(2000, 1);
  assert.equal(window.count, 1);
  window.add(3000, 6);
  window.add(2500, 11);
  assert.equal(window.count, 2);
  assert.equal(window.rate(3000), 1);
});

Deno.test("RateWindow: storage stays bounded however often it is fed, and the rate stays right", () => {
  const window = new RateWindow(60_000);
  for (let t = 0; t <= 600_000; t += 7) window.add(t, t / 10);
  assert.ok(window.count <= RATE_SLOTS + 2, `count ${window.count}`);
  const rate = window.rate(600_000);
  assert.ok(Math.abs(rate - 100) < 100 / RATE_SLOTS, `rate ${rate}`);
});

Deno.test("engine rate_of_change: no alert on the first sample; fires on a fast rise; resolves on time with no event", () => {
  const r = rig();
  r.reader.set("events_total", 0);
  r.engine.setRules([rule({
    id: "storm",
    metric: "events_total",
    condition: "rate_of_change",
    threshold: 100,
    windowMs: 10_000,
  })]);
  assert.deepEqual(r.take(), [], "one sample: no rate");
  r.clock.now += 2000;
  r.reader.set("events_total", 1000);
  r.engine.evaluate(["events_total"]);
  assert.deepEqual(r.take(), [], "1000 over 10 s is 100/s, not above 100");
  r.clock.now += 2000;
  r.reader.set("events_total", 1001);
  r.engine.evaluate(["events_total"]);
  assert.deepEqual(r.take(), ["storm: null -> firing"]);
  assert.equal(r.engine.nextDeadline(), 1_000_000 + 12_000);
  assert.deepEqual(r.advance(7999), []);
  assert.deepEqual(
    r.advance(1),
    ["storm: firing -> resolved"],
    "the window slid past the rise: 1 over 10 s",
  );
  assert.equal(r.engine.nextDeadline(), 1_000_000 + 14_000);
  assert.deepEqual(r.advance(2000), []);
  assert.equal(r.engine.nextDeadline(), null, "one step left: nothing timed");
});

Deno.test("engine rate_of_change per port: one window per port, a gone port's window is dropped", () => {
  const r = rig();
  r.reader.setPort("flaps", "Ethernet0", 0).setPort("flaps", "Ethernet4", 0);
  r.engine.setRules([rule({
    id: "flapping",
    metric: "flaps",
    condition: "rate_of_change",
    threshold: 0,
    windowMs: 60_000,
    description: "{{port}} flaps",
  })]);
  r.clock.now += 1000;
  r.reader.setPort("flaps", "Ethernet4", 3);
  r.engine.evaluate(["flaps"]);
  assert.deepEqual(r.take(), ["flapping|Ethernet4: null -> firing"]);
  assert.equal(r.engine.active()[0].message, "Ethernet4 flaps");
  r.reader.removePort("flaps", "Ethernet4");
  r.engine.evaluate(["flaps"]);
  assert.deepEqual(r.take(), ["flapping|Ethernet4: firing -> resolved"]);
  r.reader.setPort("flaps", "Ethernet4", 9);
  r.engine.evaluate(["flaps"]);
  assert.deepEqual(r.take(), [], "a port that comes back starts a new window");
});
