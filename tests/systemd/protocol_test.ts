import assert from "node:assert/strict";
import {
  notifyAddress,
  NotifySocketError,
  statusDue,
  statusLine,
  watchdogIntervalMs,
} from "../../src/systemd/protocol.ts";

Deno.test("notifyAddress: a path is NUL-terminated after the family", () => {
  const address = notifyAddress("/run/n");
  assert.deepEqual(Array.from(address), [1, 0, 47, 114, 117, 110, 47, 110, 0]);
});

Deno.test("notifyAddress: an @name has a leading NUL and no @", () => {
  const address = notifyAddress("@ab");
  assert.deepEqual(Array.from(address), [1, 0, 0, 97, 98]);
});

Deno.test("notifyAddress: relative, empty or too long is an error naming it", () => {
  for (const bad of ["run/n", "", "@", "/" + "x".repeat(107)]) {
    assert.throws(
      () => notifyAddress(bad),
      (error: unknown) =>
        error instanceof NotifySocketError &&
        error.message.startsWith(`NOTIFY_SOCKET=${bad}: `),
    );
  }
  assert.equal(notifyAddress("/" + "x".repeat(106)).byteLength, 110);
});

Deno.test("watchdogIntervalMs: half of WATCHDOG_USEC, in ms", () => {
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: "200000" }, 7), 100);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }, 7), 15_000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: "1" }, 7), 1);
});

Deno.test("watchdogIntervalMs: WATCHDOG_PID must be unset, empty or ours", () => {
  const usec = "200000";
  assert.equal(
    watchdogIntervalMs({ WATCHDOG_USEC: usec, WATCHDOG_PID: "7" }, 7),
    100,
  );
  assert.equal(
    watchdogIntervalMs({ WATCHDOG_USEC: usec, WATCHDOG_PID: "" }, 7),
    100,
  );
  assert.equal(
    watchdogIntervalMs({ WATCHDOG_USEC: usec, WATCHDOG_PID: "8" }, 7),
    null,
  );
});

Deno.test("watchdogIntervalMs: unset, zero or junk is off", () => {
  for (
    const usec of [
      undefined,
      "",
      "0",
      "-5",
      "1e6",
      "abc",
      "99999999999999999999",
    ]
  ) {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: usec }, 7), null, usec);
  }
});

Deno.test("statusLine: ports, rate, health and alerts", () => {
  assert.equal(
    statusLine({
      portsUp: 3,
      portsTotal: 4,
      eventsPerSecond: 12.34,
      health: "healthy",
      firingAlerts: 1,
    }),
    "ports 3/4 up, 12.3 events/s, healthy, 1 alert firing",
  );
  assert.equal(
    statusLine({
      portsUp: 0,
      portsTotal: 0,
      eventsPerSecond: 1234.6,
      health: null,
      firingAlerts: null,
    }),
    "ports 0/0 up, 1235 events/s",
  );
  assert.equal(
    statusLine({
      portsUp: 1,
      portsTotal: 2,
      eventsPerSecond: 0,
      health: "degraded",
      firingAlerts: 0,
    }),
    "ports 1/2 up, 0 events/s, degraded, 0 alerts firing",
  );
});

Deno.test("statusDue: on change, first time, or after everyMs", () => {
  const options = { now: 10_000, everyMs: 5000 };
  assert.equal(statusDue("a", { line: null, sentAt: null }, options), true);
  assert.equal(statusDue("a", { line: "b", sentAt: 9_999 }, options), true);
  assert.equal(statusDue("a", { line: "a", sentAt: 5_001 }, options), false);
  assert.equal(statusDue("a", { line: "a", sentAt: 5_000 }, options), true);
});
