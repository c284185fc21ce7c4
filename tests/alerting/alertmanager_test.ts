/**
 * The Alertmanager sender on a fake clock and a scripted fetch: the v2
 * payload (labels, annotations, ISO times), what each transition sends
 * (firing, pending, suppressed, resolved, dropped), batching with one request
 * in flight, the periodic re-send, and close. Retries and 4xx are in
 * alertmanager_retry_test.ts; the real Alertmanager in
 * alertmanager_integration_test.ts.
 * @module
 */

import assert from "node:assert/strict";
import {
  AlertmanagerOptionError,
  AlertmanagerSender,
  type AlertmanagerSenderOptions,
} from "../../src/alerting/alertmanager.ts";
import {
  makeAlert,
  memoryLog,
  move,
  setupSender as setup,
  T0,
} from "./alertmanager_fake.ts";

const RESEND = 60_000;
const BATCH = 100;

const portDown = makeAlert("port_down", {
  port: "Ethernet0",
  severity: "critical",
  value: 1,
  activeSince: T0 - 5_000,
});
const anyDown = makeAlert("any_port_down", { value: 3 });

Deno.test("a firing per-port alert is one POST of the v2 postable alert", async () => {
  const { server, sender, step } = setup();
  try {
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    assert.equal(server.posts.length, 0, "the listener itself sends nothing");
    await step(BATCH);
    assert.equal(server.posts.length, 1);
    const post = server.posts[0];
    assert.equal(post.url, "http://alertmanager.test:9093/api/v2/alerts");
    assert.equal(post.method, "POST");
    assert.equal(post.contentType, "application/json");
    assert.deepEqual(post.alerts, [{
      labels: {
        alertname: "port_down",
        severity: "critical",
        port: "Ethernet0",
        instance: "switch1",
        job: "portsyncd",
      },
      annotations: {
        summary: "Port Ethernet0 is down",
        description: "Port Ethernet0 is down",
        value: "1",
      },
      startsAt: "2026-03-01T11:59:55.000Z",
      endsAt: new Date(T0 + BATCH + 4 * RESEND).toISOString(),
    }]);
  } finally {
    await sender.close();
  }
});

Deno.test("a rule-wide alert has no port label; value shows NaN and Infinity as text", async () => {
  const { server, sender, step } = setup();
  try {
    sender.listener(move(anyDown, { from: null, to: "firing" }, T0));
    const odd = makeAlert("odd", { value: -Infinity });
    sender.listener(move(odd, { from: "pending", to: "firing" }, T0));
    await step(BATCH);
    const [first, second] = server.last();
    assert.equal("port" in first.labels, false);
    assert.deepEqual(Object.keys(first.labels).sort(), [
      "alertname",
      "instance",
      "job",
      "severity",
    ]);
    assert.equal(first.annotations.value, "3");
    assert.equal(second.annotations.value, "-Infinity");
  } finally {
    await sender.close();
  }
});

Deno.test("pending alerts are never sent", async () => {
  const { clock, server, sender, step } = setup();
  try {
    sender.listener(move(portDown, { from: null, to: "pending" }, T0));
    sender.listener(move(portDown, { from: "pending", to: null }, T0 + 10));
    assert.deepEqual(clock.pending(), [], "no flush or re-send armed");
    await step(RESEND * 2);
    assert.equal(server.posts.length, 0);
  } finally {
    await sender.close();
  }
});

Deno.test("transitions within one batch window are one POST", async () => {
  const { server, sender, step } = setup();
  try {
    for (let i = 0; i < 50; i++) {
      const alert = makeAlert("port_down", { port: `Ethernet${i * 4}` });
      sender.listener(move(alert, { from: "pending", to: "firing" }, T0));
    }
    await step(BATCH);
    assert.equal(server.posts.length, 1);
    assert.equal(server.last().length, 50);
    assert.equal(sender.stats.firing, 50);
  } finally {
    await sender.close();
  }
});

Deno.test("one request in flight: a change during it goes in the next POST, alone", async () => {
  const { clock, server, sender } = setup();
  try {
    server.script.push("hang");
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    await clock.advance(BATCH, () => Promise.resolve());
    assert.equal(server.posts.length, 1, "first POST in flight");
    sender.listener(move(anyDown, { from: "pending", to: "firing" }, T0 + 200));
    await clock.advance(BATCH * 10, () => Promise.resolve());
    assert.equal(server.posts.length, 1, "no second request while one is out");
  } finally {
    await sender.close();
  }
  // close aborted the hanging POST and sent both, not yet delivered, at once.
  assert.deepEqual(server.aborted, ["AbortError"]);
  assert.equal(server.posts.length, 2);
  assert.deepEqual(
    server.last().map((alert) => alert.labels.alertname).sort(),
    ["any_port_down", "port_down"],
  );
});

Deno.test("changes made while a POST is answered are sent next, without the delivered ones", async () => {
  const { clock, server, sender, step } = setup();
  try {
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    // Deliver the first POST, and record a change before the next timer runs.
    await clock.advance(BATCH, async () => {
      if (server.posts.length === 1 && sender.stats.firing === 1) {
        sender.listener(move(anyDown, { from: null, to: "firing" }, T0 + 1));
      }
      await sender.idle();
    });
    await step(BATCH);
    assert.equal(server.posts.length, 2);
    assert.deepEqual(server.last().map((a) => a.labels.alertname), [
      "any_port_down",
    ]);
  } finally {
    await sender.close();
  }
});

Deno.test("firing alerts are re-sent every resendMs with endsAt moved ahead", async () => {
  const { clock, server, sender, step } = setup();
  try {
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    sender.listener(move(anyDown, { from: "pending", to: "firing" }, T0));
    await step(BATCH);
    assert.equal(server.posts.length, 1);
    await step(RESEND - BATCH - 1);
    assert.equal(server.posts.length, 1, "nothing before the period");
    await step(1 + BATCH);
    assert.equal(server.posts.length, 2, "both re-sent in one POST");
    assert.equal(server.last().length, 2);
    for (const alert of server.last()) {
      assert.equal(
        alert.endsAt,
        new Date(clock.time + 4 * RESEND).toISOString(),
      );
      assert.equal(alert.startsAt <= new Date(T0).toISOString(), true);
    }
    await step(RESEND);
    assert.equal(server.posts.length, 3);
  } finally {
    await sender.close();
  }
});

Deno.test("a resolved alert is sent once with endsAt at the transition, then forgotten", async () => {
  const { clock, server, sender, step } = setup();
  try {
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    await step(BATCH);
    const resolvedAt = clock.time + 30_000;
    await step(30_000);
    sender.listener(
      move(portDown, { from: "firing", to: "resolved" }, resolvedAt),
    );
    await step(BATCH);
    assert.equal(server.posts.length, 2);
    assert.equal(server.last().length, 1);
    assert.equal(server.last()[0].endsAt, new Date(resolvedAt).toISOString());
    assert.equal(server.last()[0].startsAt, "2026-03-01T11:59:55.000Z");
    assert.deepEqual(sender.stats, {
      delivered: 2,
      failed: 0,
      rejected: 0,
      evicted: 0,
      firing: 0,
      ending: 0,
    });
    assert.deepEqual(
      clock.pending(),
      [],
      "no re-send timer with nothing firing",
    );
    await step(RESEND * 3);
    assert.equal(server.posts.length, 2, "a resolved alert is not re-sent");
  } finally {
    await sender.close();
  }
});

Deno.test("an alert dropped while firing (rule removed) is sent ended", async () => {
  const { server, sender, step } = setup();
  try {
    sender.listener(move(anyDown, { from: "pending", to: "firing" }, T0));
    await step(BATCH);
    sender.listener(move(anyDown, { from: "firing", to: null }, T0 + 500));
    await step(BATCH);
    assert.equal(server.last()[0].endsAt, new Date(T0 + 500).toISOString());
  } finally {
    await sender.close();
  }
});

Deno.test("suppressed: sent ended; unsuppressed: firing again with its startsAt", async (t) => {
  const { server, sender, step } = setup();
  try {
    await t.step(
      "suppressing a firing alert ends it in Alertmanager",
      async () => {
        sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
        await step(BATCH);
        sender.listener(
          move(portDown, { from: "firing", to: "suppressed" }, T0 + 1_000),
        );
        await step(BATCH);
        assert.equal(server.posts.length, 2);
        assert.equal(
          server.last()[0].endsAt,
          new Date(T0 + 1_000).toISOString(),
        );
        await step(RESEND * 2);
        assert.equal(server.posts.length, 2, "not re-sent while suppressed");
      },
    );
    await t.step(
      "unsuppressed, it fires again from the same startsAt",
      async () => {
        sender.listener(
          move(portDown, { from: "suppressed", to: "firing" }, T0 + 200_000),
        );
        await step(BATCH);
        assert.equal(server.posts.length, 3);
        assert.equal(server.last()[0].startsAt, "2026-03-01T11:59:55.000Z");
        assert.equal(Date.parse(server.last()[0].endsAt) > T0 + 200_000, true);
      },
    );
    await t.step("suppressed then resolved sends the end once", async () => {
      sender.listener(
        move(portDown, { from: "firing", to: "suppressed" }, T0 + 300_000),
      );
      sender.listener(
        move(portDown, { from: "suppressed", to: "resolved" }, T0 + 300_050),
      );
      await step(BATCH);
      assert.equal(server.posts.length, 4);
      assert.equal(
        server.last()[0].endsAt,
        new Date(T0 + 300_000).toISOString(),
      );
      await step(RESEND);
      assert.equal(server.posts.length, 4);
    });
    await t.step("suppressed before it ever fired: never sent", async () => {
      sender.listener(
        move(anyDown, { from: "pending", to: "suppressed" }, T0 + 400_000),
      );
      sender.listener(
        move(anyDown, { from: "suppressed", to: "resolved" }, T0 + 400_500),
      );
      await step(RESEND);
      assert.equal(server.posts.length, 4);
    });
  } finally {
    await sender.close();
  }
});

Deno.test("close sends the changes still waiting at once, then ignores transitions", async () => {
  const { clock, server, sender } = setup();
  sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
  assert.equal(server.posts.length, 0);
  await sender.close();
  assert.equal(server.posts.length, 1, "the final flush");
  assert.equal(server.last()[0].labels.port, "Ethernet0");
  assert.deepEqual(clock.pending(), [], "no timer left");
  sender.listener(move(portDown, { from: "firing", to: "resolved" }, T0 + 1));
  assert.deepEqual(clock.pending(), []);
  await sender.close();
  assert.equal(server.posts.length, 1, "close twice sends once");
});

Deno.test("close with nothing waiting sends nothing; a failing final POST is one warn line", async () => {
  const quiet = setup();
  await quiet.sender.close();
  assert.equal(quiet.server.posts.length, 0);

  const { server, sender, lines } = setup();
  server.otherwise = new TypeError("connection refused");
  sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
  await sender.close();
  assert.equal(server.posts.length, 1);
  const warns = lines.filter((line) => line.startsWith("WARN"));
  assert.equal(warns.length, 1, lines.join("\n"));
  assert.match(warns[0], /not delivered at close.*connection refused/);
});

Deno.test("bad options are one line naming the option", () => {
  const { log } = memoryLog();
  const base = { url: "http://127.0.0.1:9093", instance: "sw1", log };
  const cases: [Partial<AlertmanagerSenderOptions>, RegExp][] = [
    [{ url: "127.0.0.1:9093" }, /url "127\.0\.0\.1:9093": not an absolute URL/],
    [{ url: "not a url" }, /url "not a url": not an absolute URL/],
    [{ url: "ftp://host" }, /url "ftp:\/\/host": scheme must be http or https/],
    [{ url: "http://h:9093/?x=1" }, /no query or fragment/],
    [{ instance: "" }, /instance: must be a non-empty string/],
    [{ resendMs: 0 }, /resendMs: 0 is below 1/],
    [{ resendMs: NaN }, /resendMs: NaN is not a finite number/],
    [{ timeoutMs: -5 }, /timeoutMs: -5 is below 1/],
    [
      { backoff: { initialMs: 5_000, maxMs: 1_000 } },
      /backoff\.maxMs: 1000 is below 5000/,
    ],
  ];
  for (const [change, pattern] of cases) {
    assert.throws(
      () => new AlertmanagerSender({ ...base, ...change }),
      (error: unknown) =>
        error instanceof AlertmanagerOptionError &&
        pattern.test(error.message) &&
        !error.message.includes("\n"),
      JSON.stringify(change),
    );
  }
});

Deno.test("a base URL with a path prefix keeps it", async () => {
  const { log } = memoryLog();
  for (const url of ["http://h:9093/am", "http://h:9093/am/"]) {
    const sender = new AlertmanagerSender({ url, instance: "sw1", log });
    assert.equal(sender.endpoint.href, "http://h:9093/am/api/v2/alerts");
    await sender.close();
  }
});
