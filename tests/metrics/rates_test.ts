/**
 * Events per second over 1, 10 and 60 s windows, with an injected clock.
 * @module
 */

import assert from "node:assert/strict";
import { EventRate } from "../../src/metrics/rates.ts";

Deno.test("rates: per-second counts over complete seconds", () => {
  const rate = new EventRate({ start: 0 });
  assert.equal(rate.perSecond(1, 500), 0, "no complete second yet");
  rate.add(50, 500);
  rate.add(30, 1_200);
  rate.add(20, 1_999);
  assert.equal(
    rate.perSecond(1, 1_999),
    50,
    "second 0 is the last complete one",
  );
  assert.equal(rate.perSecond(1, 2_000), 50, "second 1: 30 + 20");
  assert.equal(rate.perSecond(10, 2_000), 50, "100 events over the 2 s seen");
  assert.equal(rate.perSecond(60, 2_000), 50);
});

Deno.test("rates: a steady stream gives its rate in every window", () => {
  const rate = new EventRate({ start: 0 });
  // 200 events per second for 120 s, in batches of 20 every 100 ms.
  for (let ms = 0; ms < 120_000; ms += 100) rate.add(20, ms);
  for (const window of [1, 10, 60]) {
    assert.equal(rate.perSecond(window, 120_000), 200, `${window} s`);
  }
});

Deno.test("rates: old seconds leave the window, idle seconds count as zero", () => {
  const rate = new EventRate({ start: 0 });
  for (let second = 0; second < 10; second++) rate.add(100, second * 1000);
  assert.equal(rate.perSecond(10, 10_000), 100);
  // Five idle seconds later.
  assert.equal(rate.perSecond(10, 15_000), 50);
  assert.equal(rate.perSecond(1, 15_000), 0);
  // A burst after a long pause (longer than the ring).
  rate.add(600, 500_400);
  assert.equal(rate.perSecond(1, 501_000), 600);
  assert.equal(rate.perSecond(60, 501_000), 10);
  assert.equal(rate.perSecond(60, 600_000), 0);
});

Deno.test("rates: counting starts at the first event without a start time", () => {
  const rate = new EventRate();
  rate.add(30, 7_500);
  assert.equal(rate.perSecond(60, 9_000), 15, "30 events over seconds 7 and 8");
});

Deno.test("rates: a window outside 1..max is refused", () => {
  const rate = new EventRate({ maxWindowSeconds: 60 });
  assert.throws(
    () => rate.perSecond(0, 0),
    /window must be 1 to 60 seconds, not 0/,
  );
  assert.throws(() => rate.perSecond(61, 0), RangeError);
  assert.throws(() => rate.perSecond(1.5, 0), RangeError);
  assert.throws(() => new EventRate({ maxWindowSeconds: 0 }), RangeError);
});
