/**
 * BurstGate: sleeps before a drain only when datagrams arrive at 5,000/s or
 * more (over the current and the previous 10 ms window) and pile up between
 * reads (2 or more per receive on average); never when off.
 * @module
 */

import assert from "node:assert/strict";
import { BurstGate } from "../../src/netlink/burst.ts";

function gate(coalesceUs: number) {
  let now = 1000;
  const sleeps: number[] = [];
  const burst = new BurstGate(coalesceUs, {
    now: () => now,
    sleep: (us) => sleeps.push(us),
  });
  return { burst, sleeps, advance: (ms: number) => now += ms };
}

Deno.test("BurstGate: one datagram per receive is never a burst, at any rate", () => {
  const { burst, sleeps, advance } = gate(250);
  for (let i = 0; i < 200; i++) {
    burst.gather();
    burst.count(1);
    advance(0.05); // 20,000 receives/s, one change at a time
  }
  assert.equal(burst.bursting, false);
  assert.deepEqual(sleeps, []);
});

Deno.test("BurstGate: datagrams piling up at the burst rate make each gather sleep, until the rate falls", () => {
  const { burst, sleeps, advance } = gate(250);
  for (let i = 0; i < 20; i++) burst.count(3); // 60 datagrams in 20 reads
  burst.gather();
  assert.deepEqual(sleeps, [250]);
  advance(12); // the next window: the previous one still counts
  burst.gather();
  assert.equal(sleeps.length, 2);
  advance(10); // two windows on: nothing read lately
  burst.gather();
  assert.equal(sleeps.length, 2);
  assert.equal(burst.bursting, false);
});

Deno.test("BurstGate: below 50 datagrams over two windows nothing waits", () => {
  const { burst, advance } = gate(250);
  for (let i = 0; i < 10; i++) burst.count(4);
  advance(10);
  burst.count(5);
  assert.equal(burst.bursting, false, "45 datagrams");
  burst.count(5);
  assert.equal(burst.bursting, true, "50 datagrams, 4.2 per receive");
  advance(30); // a gap longer than a window forgets the old counts
  assert.equal(burst.bursting, false);
});

Deno.test("BurstGate: coalesce_us 0 never sleeps", () => {
  const { burst, sleeps } = gate(0);
  for (let i = 0; i < 100; i++) burst.count(10);
  burst.gather();
  assert.equal(burst.bursting, true);
  assert.deepEqual(sleeps, []);
});
