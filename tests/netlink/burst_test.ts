/**
 * BurstGate: sleeps before a drain only at 5,000 datagrams/s or more (over
 * the current or the previous 10 ms window), and never when off.
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

Deno.test("BurstGate: below 50 datagrams in 10 ms nothing waits", () => {
  const { burst, sleeps, advance } = gate(250);
  for (let i = 0; i < 49; i++) {
    burst.gather();
    burst.count(1);
    advance(0.1);
  }
  assert.equal(burst.bursting, false);
  assert.deepEqual(sleeps, []);
});

Deno.test("BurstGate: at the burst rate each gather sleeps, until the rate falls", () => {
  const { burst, sleeps, advance } = gate(250);
  burst.count(50);
  burst.gather();
  assert.deepEqual(sleeps, [250]);
  advance(12); // the next window: the previous one still counts
  burst.gather();
  assert.equal(sleeps.length, 2);
  advance(10); // two windows on: the burst window is empty
  burst.gather();
  assert.equal(sleeps.length, 2);
  assert.equal(burst.bursting, false);
  advance(30); // a gap longer than a window forgets the old count
  burst.count(40);
  advance(10);
  burst.count(5);
  assert.equal(burst.bursting, false, "45 over two windows is not a burst");
});

Deno.test("BurstGate: coalesce_us 0 never sleeps", () => {
  const { burst, sleeps } = gate(0);
  burst.count(1000);
  burst.gather();
  assert.equal(burst.bursting, true);
  assert.deepEqual(sleeps, []);
});
