/**
 * WarmRestartMetrics: the seed's health score over a table of counters
 * (every zero-denominator case included), and the start-up dump's end
 * (EOIU) and its timeout on an injected clock.
 * @module
 */

import assert from "node:assert/strict";
import {
  corruptionRate,
  emptyCounters,
  healthScore,
  recoveryRate,
  restartRatio,
  type WarmRestartCounters,
  WarmRestartMetrics,
} from "../../src/warm_restart/metrics.ts";

function counters(
  overrides: Partial<WarmRestartCounters>,
): WarmRestartCounters {
  return { ...emptyCounters(), ...overrides };
}

/** Each row: counters, the three rates, the score. */
const TABLE: {
  name: string;
  counters: Partial<WarmRestartCounters>;
  recovery: number;
  restart: number;
  corruption: number;
  score: number;
}[] = [
  {
    name: "nothing yet: every denominator zero, no data is not a failure",
    counters: {},
    recovery: 1,
    restart: 0,
    corruption: 0,
    score: 1,
  },
  {
    name: "one cold start, no file read, nothing compared",
    counters: { cold_starts: 1, eoiu_detected: 1 },
    recovery: 1,
    restart: 0,
    corruption: 0,
    score: 1,
  },
  {
    name: "warm restarts only, nothing compared (recovery 1, restart ratio 1)",
    counters: { warm_restarts: 2, eoiu_detected: 2 },
    recovery: 1,
    restart: 1,
    corruption: 0,
    score: 0.7,
  },
  {
    name: "a cold start and a warm restart that recovered every port",
    counters: {
      cold_starts: 1,
      warm_restarts: 1,
      recovery_checks: 4,
      state_recoveries: 4,
      state_reads: 1,
    },
    recovery: 1,
    restart: 0.5,
    corruption: 0,
    score: 0.85,
  },
  {
    name: "a warm restart that recovered 3 of 4 ports",
    counters: {
      cold_starts: 3,
      warm_restarts: 1,
      recovery_checks: 4,
      state_recoveries: 3,
      state_reads: 1,
    },
    recovery: 0.75,
    restart: 0.25,
    corruption: 0,
    score: (0.75 * 40 + 0.75 * 30 + 30) / 100,
  },
  {
    name: "a warm restart that recovered nothing (saved ports all changed)",
    counters: { warm_restarts: 1, recovery_checks: 5, state_reads: 1 },
    recovery: 0,
    restart: 1,
    corruption: 0,
    score: 0.3,
  },
  {
    name: "corrupt file recovered from .prev: 1 corruption in 2 reads",
    counters: {
      cold_starts: 1,
      warm_restarts: 1,
      recovery_checks: 2,
      state_recoveries: 2,
      state_reads: 2,
      corruptions_detected: 1,
    },
    recovery: 1,
    restart: 0.5,
    corruption: 0.5,
    score: (40 + 15 + 15) / 100,
  },
  {
    name: "every file read corrupt, no starts counted",
    counters: { state_reads: 2, corruptions_detected: 2 },
    recovery: 1,
    restart: 0,
    corruption: 1,
    score: 0.7,
  },
  {
    name:
      "the worst: nothing recovered, only warm restarts, every read corrupt",
    counters: {
      warm_restarts: 3,
      recovery_checks: 8,
      state_reads: 4,
      corruptions_detected: 4,
    },
    recovery: 0,
    restart: 1,
    corruption: 1,
    score: 0,
  },
  {
    name: "hand-made counters out of range are clamped to 0..1",
    counters: {
      recovery_checks: 2,
      state_recoveries: 5,
      state_reads: 1,
      corruptions_detected: 3,
    },
    recovery: 1,
    restart: 0,
    corruption: 1,
    score: 0.7,
  },
];

for (const row of TABLE) {
  Deno.test(`health score: ${row.name}`, () => {
    const c = counters(row.counters);
    assert.equal(recoveryRate(c), row.recovery, "recovery_rate");
    assert.equal(restartRatio(c), row.restart, "restart_ratio");
    assert.equal(corruptionRate(c), row.corruption, "corruption_rate");
    assert.ok(
      Math.abs(healthScore(c) - row.score) < 1e-12,
      `score ${healthScore(c)}, want ${row.score}`,
    );
    // The class reads the same counters the same way.
    const metrics = new WarmRestartMetrics({
      eoiuTimeoutMs: 1000,
      counters: c,
    });
    assert.equal(metrics.healthScore(), healthScore(c));
  });
}

Deno.test("health score: the seed's formula term by term", () => {
  const c = counters({
    warm_restarts: 1,
    cold_starts: 4,
    recovery_checks: 10,
    state_recoveries: 9,
    state_reads: 5,
    corruptions_detected: 1,
  });
  const expected = ((0.9 * 40) + (1 - 0.2) * 30 + (1 - 0.2) * 30) / 100;
  assert.ok(Math.abs(healthScore(c) - expected) < 1e-12);
});

Deno.test("metrics: a cold start, its dump's end (EOIU) and the initial-sync duration", () => {
  const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 1000 });
  metrics.startupDumpRequested(100);
  metrics.started(false, 150);
  assert.equal(metrics.eoiuDeadline, 1100);
  assert.equal(metrics.tick(1099), false, "not yet due");
  assert.equal(metrics.dumpCompleted(340), true, "the start-up dump's end");
  assert.equal(metrics.dumpCompleted(900), false, "later dumps are not EOIU");
  assert.equal(metrics.tick(5000), false, "no timeout after EOIU");
  assert.equal(metrics.eoiuDeadline, null);
  assert.deepEqual(metrics.counters, {
    ...emptyCounters(),
    cold_starts: 1,
    eoiu_detected: 1,
    initial_sync_ms_last: 240,
    initial_sync_ms_min: 240,
    initial_sync_ms_max: 240,
  });
  assert.equal(metrics.startKind, "cold");
  assert.equal(metrics.eoiuSeen, true);
});

Deno.test("metrics: the EOIU timeout is counted once when due, and a late EOIU still counts", () => {
  const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 1000 });
  metrics.startupDumpRequested(0);
  metrics.started(true, 10);
  assert.equal(metrics.tick(999), false);
  assert.equal(metrics.tick(1000), true, "due at the deadline");
  assert.equal(metrics.tick(2000), false, "counted once");
  assert.equal(metrics.counters.eoiu_timeouts, 1);
  assert.equal(metrics.dumpCompleted(2500), true);
  assert.equal(metrics.counters.eoiu_detected, 1);
  assert.equal(metrics.counters.eoiu_timeouts, 1);
  assert.equal(metrics.counters.initial_sync_ms_last, 2500);
  assert.equal(metrics.counters.warm_restarts, 1);
});

Deno.test("metrics: a late EOIU without a tick counts the timeout too", () => {
  const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 1000 });
  metrics.started(false, 0);
  assert.equal(metrics.dumpCompleted(1500), true);
  assert.equal(metrics.counters.eoiu_timeouts, 1);
  assert.equal(metrics.counters.eoiu_detected, 1);
});

Deno.test("metrics: the EOIU clock starts at the start-up report when no dump request was seen", () => {
  const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 50 });
  assert.equal(metrics.eoiuDeadline, null, "nothing pending before start-up");
  assert.equal(metrics.dumpCompleted(5), false, "no start-up dump yet");
  metrics.started(false, 20);
  metrics.started(true, 25);
  assert.equal(metrics.counters.cold_starts, 1, "one start per run");
  assert.equal(metrics.counters.warm_restarts, 0);
  assert.equal(metrics.eoiuDeadline, 70);
});

Deno.test("metrics: durations continue from the previous runs (last, min, max)", () => {
  const first = new WarmRestartMetrics({ eoiuTimeoutMs: 10_000 });
  first.startupDumpRequested(0);
  first.started(false, 0);
  first.dumpCompleted(300);
  const second = new WarmRestartMetrics({
    eoiuTimeoutMs: 10_000,
    counters: first.counters,
  });
  second.startupDumpRequested(1000);
  second.started(true, 1000);
  second.dumpCompleted(1120);
  const third = new WarmRestartMetrics({
    eoiuTimeoutMs: 10_000,
    counters: second.counters,
  });
  third.started(true, 0);
  third.dumpCompleted(200);
  const c = third.counters;
  assert.equal(c.initial_sync_ms_last, 200);
  assert.equal(c.initial_sync_ms_min, 120);
  assert.equal(c.initial_sync_ms_max, 300);
  assert.equal(c.eoiu_detected, 3);
  assert.equal(c.cold_starts, 1);
  assert.equal(c.warm_restarts, 2);
  assert.equal(
    first.counters.eoiu_detected,
    1,
    "the first run's copy is its own",
  );
});

Deno.test("metrics: recoveries and reads", () => {
  const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 1000 });
  metrics.recordRead(true);
  metrics.recordRead(false);
  metrics.recordRecoveries({ compared: 4, matched: 3 });
  assert.equal(metrics.counters.state_reads, 2);
  assert.equal(metrics.counters.corruptions_detected, 1);
  assert.equal(metrics.counters.recovery_checks, 4);
  assert.equal(metrics.counters.state_recoveries, 3);
  assert.equal(metrics.healthScore(), (0.75 * 40 + 30 + 0.5 * 30) / 100);
});
