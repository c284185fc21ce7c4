/**
 * History (the bounded ring) and listeners (order, isolation, removal,
 * re-entry).
 * @module
 */

import assert from "node:assert/strict";
import { AlertEngine } from "../../src/alerting/engine.ts";
import { TransitionRing } from "../../src/alerting/history.ts";
import type { AlertTransition } from "../../src/alerting/types.ts";
import { describe, FakeReader, rig, rule } from "./engine_rig.ts";

/** Makes `count` transitions: the rule fires and resolves in turn. */
function flap(r: ReturnType<typeof rig>, count: number): void {
  for (let i = 0; i < count; i++) {
    r.clock.now += 1;
    r.reader.set("m", i % 2 === 0 ? 1 : 0);
    r.engine.evaluate(["m"]);
  }
}

Deno.test("history keeps the last historySize transitions, oldest first", () => {
  const r = rig([], { historySize: 3 });
  r.reader.set("m", 0);
  r.engine.setRules([rule()]);
  flap(r, 5);
  const history = r.engine.history();
  assert.deepEqual(history.map(describe), [
    "r: null -> firing",
    "r: firing -> resolved",
    "r: null -> firing",
  ]);
  assert.deepEqual(history.map((t) => t.at), [1_000_003, 1_000_004, 1_000_005]);
  assert.deepEqual(
    history,
    r.transitions.slice(-3),
    "the same objects the listeners got",
  );
});

Deno.test("history: default 1000; historySize 0 keeps none; a bad size is a RangeError", () => {
  const r = rig();
  r.reader.set("m", 0);
  r.engine.setRules([rule()]);
  flap(r, 1005);
  assert.equal(r.engine.history().length, 1000);
  assert.equal(describe(r.engine.history()[0]), "r: firing -> resolved");
  const none = rig([], { historySize: 0 });
  none.reader.set("m", 0);
  none.engine.setRules([rule()]);
  flap(none, 4);
  assert.deepEqual(none.engine.history(), []);
  assert.equal(none.seen.length, 4, "listeners still get them");
  assert.throws(
    () => new AlertEngine({ reader: new FakeReader(), historySize: -1 }),
    RangeError,
  );
  assert.throws(() => new TransitionRing(1.5), /history size 1.5/);
});

Deno.test("listeners are called in the order they were added, each with every transition", () => {
  const r = rig();
  const calls: string[] = [];
  for (const name of ["a", "b", "c"]) {
    r.engine.onTransition((t) => calls.push(`${name} ${describe(t)}`));
  }
  r.reader.set("m", 1);
  r.engine.setRules([rule()]);
  assert.deepEqual(calls, [
    "a r: null -> firing",
    "b r: null -> firing",
    "c r: null -> firing",
  ]);
});

Deno.test("a listener that throws is logged; the others and the engine go on", () => {
  const r = rig();
  const after: AlertTransition[] = [];
  r.engine.onTransition(() => {
    throw new Error("publisher down");
  });
  r.engine.onTransition((t) => after.push(t));
  r.reader.set("m", 0);
  r.engine.setRules([rule()]);
  flap(r, 2);
  assert.equal(after.length, 2);
  assert.deepEqual(
    r.seen,
    ["r: null -> firing", "r: firing -> resolved"],
    "the first listener too",
  );
  assert.deepEqual(r.logs, [
    'WARN alert listener failed alert=r error="publisher down"',
    'WARN alert listener failed alert=r error="publisher down"',
  ]);
});

Deno.test("a removed listener gets nothing more; removing twice is harmless", () => {
  const r = rig();
  const got: string[] = [];
  const stop = r.engine.onTransition((t) => got.push(describe(t)));
  r.reader.set("m", 0);
  r.engine.setRules([rule()]);
  flap(r, 1);
  stop();
  stop();
  flap(r, 3);
  assert.deepEqual(got, ["r: null -> firing"]);
  assert.deepEqual(r.seen, [
    "r: null -> firing",
    "r: firing -> resolved",
    "r: null -> firing",
  ]);
});

Deno.test("transitions reach listeners after the evaluation, not in the middle; a listener may evaluate again", () => {
  const r = rig();
  r.reader.set("a", 1).set("b", 1);
  const states: number[] = [];
  r.engine.onTransition(() => states.push(r.engine.active().length));
  r.engine.setRules([
    rule({ id: "x", metric: "a" }),
    rule({ id: "y", metric: "b" }),
  ]);
  assert.deepEqual(
    states,
    [2, 2],
    "both alerts exist when the first listener call runs",
  );
  let nested = false;
  r.engine.onTransition((t) => {
    if (nested || t.to !== "resolved") return;
    nested = true;
    r.reader.set("b", 0);
    r.engine.evaluate(["b"]);
  });
  r.reader.set("a", 0);
  r.engine.evaluate(["a"]);
  assert.deepEqual(r.take().slice(-2), [
    "x: firing -> resolved",
    "y: firing -> resolved",
  ]);
});
