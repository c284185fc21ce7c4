/**
 * Latency percentiles against the exact values of known samples (within
 * one HDR bucket), the sliding window with an injected clock, and the
 * Prometheus buckets.
 * @module
 */

import assert from "node:assert/strict";
import { Int32Histogram } from "hdr-histogram-js";
import {
  HDR_DIGITS,
  HDR_HIGHEST_US,
  LATENCY_BOUNDS_SECONDS,
  LatencyRecorder,
} from "../../src/metrics/latency.ts";

/** An HDR histogram like the recorder's, to ask what "one bucket" is. */
const reference = new Int32Histogram(1, HDR_HIGHEST_US, HDR_DIGITS);

/** The exact percentile of sorted samples (the smallest value with ≥ p% at or below it). */
function exact(sorted: number[], percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1];
}

function assertWithinBucket(actual: number, expected: number, what: string) {
  const low = reference.lowestEquivalentValue(expected);
  const high = reference.highestEquivalentValue(expected);
  assert.ok(
    actual >= low && actual <= high,
    `${what}: ${actual} is not in the HDR bucket of ${expected} [${low}, ${high}]`,
  );
}

/** A seeded generator of latencies (µs), skewed like real ones. */
function samples(count: number, seed: number): number[] {
  let x = seed;
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const u = x / 0x7fffffff;
    values.push(Math.round(20 + 400 * u ** 4 * 250));
  }
  return values;
}

Deno.test("latency: P50/P95/P99/max of known samples are exact to within one HDR bucket", () => {
  for (const seed of [1, 2, 3]) {
    const values = samples(10_000, seed);
    const latency = new LatencyRecorder();
    for (const us of values) latency.record(us / 1000, { count: 1, at: 5 });
    const sorted = [...values].sort((a, b) => a - b);
    const figures = latency.figures(5);
    assert.equal(figures.count, values.length);
    assertWithinBucket(figures.p50_us, exact(sorted, 50), "p50");
    assertWithinBucket(figures.p95_us, exact(sorted, 95), "p95");
    assertWithinBucket(figures.p99_us, exact(sorted, 99), "p99");
    assertWithinBucket(figures.max_us, sorted.at(-1)!, "max");
  }
});

Deno.test("latency: small values are exact, and a batch's count weighs its latency", () => {
  const latency = new LatencyRecorder();
  // 98 events at 100 µs (one batch), one at 200 µs, one at 250 µs.
  latency.record(0.1, { count: 98, at: 0 });
  latency.record(0.2, { count: 1, at: 0 });
  latency.record(0.25, { count: 1, at: 0 });
  assert.deepEqual(latency.figures(0), {
    p50_us: 100,
    p95_us: 100,
    p99_us: 200,
    max_us: 250,
    count: 100,
  });
});

Deno.test("latency: the window forgets slots older than a minute (injected clock)", () => {
  const latency = new LatencyRecorder({ slotMs: 10_000, slots: 6 });
  assert.equal(latency.windowMs, 60_000);
  latency.record(90, { count: 10, at: 1_000 }); // a slow batch: 90 ms
  latency.record(0.1, { count: 10, at: 15_000 });
  assertWithinBucket(latency.figures(20_000).max_us, 90_000, "max");
  assert.equal(latency.figures(20_000).count, 20);
  // At 60 s the slot of t = 1 s (0–10 s) has left the window.
  assert.deepEqual(latency.figures(60_000), {
    p50_us: 100,
    p95_us: 100,
    p99_us: 100,
    max_us: 100,
    count: 10,
  });
  // And at 70 s the 10–20 s slot too: no data, all zero.
  assert.deepEqual(latency.figures(70_000), {
    p50_us: 0,
    p95_us: 0,
    p99_us: 0,
    max_us: 0,
    count: 0,
  });
  // A long pause (many slots at once), then new data.
  latency.record(0.05, { count: 1, at: 1_000_000 });
  assert.equal(latency.figures(1_000_001).p99_us, 50);
  assert.equal(latency.figures(1_000_001).count, 1);
});

Deno.test("latency: Prometheus buckets count each event once, cumulative since start", () => {
  const latency = new LatencyRecorder({ slotMs: 1000, slots: 1 });
  latency.record(0.005, { count: 3, at: 0 }); // 5 µs: first bucket (≤ 10 µs)
  latency.record(0.1, { count: 2, at: 0 }); // exactly 100 µs: the 0.0001 bucket
  latency.record(0.101, { count: 1, at: 5_000 }); // 101 µs: the 0.0002 bucket
  latency.record(7_200_000, { count: 4, at: 9_000 }); // 2 h: above every bound
  assert.equal(latency.counts.length, LATENCY_BOUNDS_SECONDS.length + 1);
  const at = (bound: number) =>
    latency.counts[LATENCY_BOUNDS_SECONDS.indexOf(bound)];
  assert.equal(at(0.00001), 3);
  assert.equal(at(0.0001), 2);
  assert.equal(at(0.0002), 1);
  assert.equal(latency.counts.at(-1), 4);
  assert.equal(latency.counts.reduce((sum, value) => sum + value, 0), 10);
  assert.equal(latency.count, 10);
  assert.ok(
    Math.abs(latency.sum - (3 * 5e-6 + 2 * 1e-4 + 1.01e-4 + 28_800)) < 1e-9,
  );
  // The window (1 slot of 1 s) holds only the last batch; a latency beyond
  // the HDR range is kept as its highest value.
  const figures = latency.figures(9_000);
  assert.equal(figures.count, 4);
  assertWithinBucket(figures.max_us, HDR_HIGHEST_US, "max");
});

Deno.test("latency: a negative latency (clock skew) counts as 0; count 0 records nothing", () => {
  const latency = new LatencyRecorder();
  latency.record(-3, { count: 2, at: 0 });
  latency.record(5, { count: 0, at: 0 });
  assert.equal(latency.count, 2);
  assert.equal(latency.counts[0], 2);
  assert.equal(latency.figures(0).max_us, 0);
  assert.throws(() => new LatencyRecorder({ slots: 0 }), RangeError);
});
