/**
 * The Alertmanager sender while Alertmanager is unreachable or refuses:
 * exponential backoff with jitter, one warn line per outage and one info line
 * when it is back, 5xx/408/429 retried, 4xx dropped with one error line, the
 * request timeout, and the bound on ended alerts kept during an outage.
 * @module
 */

import assert from "node:assert/strict";
import { retryDelay } from "../../src/alerting/alertmanager_options.ts";
import {
  makeAlert,
  move,
  setupSender as setup,
  T0,
} from "./alertmanager_fake.ts";

const BATCH = 100;
const refused = () =>
  new TypeError("error sending request: Connection refused");
const portDown = makeAlert("port_down", { port: "Ethernet0" });

function levels(lines: string[], level: string): string[] {
  return lines.filter((line) => line.startsWith(level));
}

Deno.test("retry delays double from initialMs up to maxMs, half of each random", () => {
  const backoff = { initialMs: 1_000, maxMs: 8_000 };
  const low = [1, 2, 3, 4, 5, 6].map((n) =>
    retryDelay(n, { backoff, random: () => 0 })
  );
  assert.deepEqual(low, [500, 1_000, 2_000, 4_000, 4_000, 4_000]);
  const high = [1, 2, 3, 4, 5].map((n) =>
    retryDelay(n, { backoff, random: () => 0.999999 })
  );
  for (const [i, delay] of high.entries()) {
    assert.equal(delay < Math.min(8_000, 1_000 * 2 ** i), true);
    assert.equal(delay > low[i] * 2 - 1, true);
  }
  assert.equal(retryDelay(10_000, { backoff, random: () => 0.5 }), 6_000);
});

Deno.test("unreachable: retried with backoff, one warn per outage, one info when back", async () => {
  const { clock, server, sender, lines, step } = setup();
  try {
    server.script.push(refused(), refused(), refused(), refused(), refused());
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    await step(BATCH);
    assert.equal(server.posts.length, 1);
    // random() = 0.5: each delay is 3/4 of 1, 2, 4, 8, 8 s.
    assert.deepEqual(clock.pending()[0], 750);
    await step(60_000 - BATCH - 1);
    const gaps = server.posts.slice(1).map((post, i) =>
      post.at - server.posts[i].at
    );
    assert.deepEqual(gaps, [750, 1_500, 3_000, 6_000, 6_000]);
    assert.equal(server.posts.length, 6, "the sixth attempt got through");
    assert.equal(sender.stats.failed, 5);
    assert.equal(sender.stats.delivered, 1);
    const warns = levels(lines, "WARN");
    assert.equal(warns.length, 1, lines.join("\n"));
    assert.match(warns[0], /alerts not delivered to Alertmanager; retrying/);
    assert.match(warns[0], /Connection refused/);
    const infos = levels(lines, "INFO");
    assert.equal(infos.length, 1, lines.join("\n"));
    assert.match(
      infos[0],
      /delivered to Alertmanager again.*failed_attempts=5/,
    );
    assert.match(infos[0], /outage_ms=17250/);
    // A second outage is a second warn line, and the backoff starts over.
    server.script.push(refused());
    await step(1 + BATCH);
    assert.equal(server.posts.length, 7, "the re-send");
    await step(750);
    assert.equal(server.posts.length, 8);
    assert.equal(levels(lines, "WARN").length, 2);
    assert.equal(levels(lines, "INFO").length, 2);
  } finally {
    await sender.close();
  }
});

Deno.test("a retry carries everything not delivered, including changes made meanwhile", async () => {
  const { server, sender, step } = setup();
  try {
    server.script.push(refused());
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    await step(BATCH);
    const other = makeAlert("any_port_down");
    sender.listener(move(other, { from: "pending", to: "firing" }, T0 + 200));
    sender.listener(
      move(portDown, { from: "firing", to: "resolved" }, T0 + 300),
    );
    await step(BATCH);
    assert.equal(server.posts.length, 1, "no POST while backing off");
    await step(750);
    assert.equal(server.posts.length, 2);
    const sent = server.last().map((alert) => [
      alert.labels.alertname,
      alert.endsAt === new Date(T0 + 300).toISOString() ? "ended" : "firing",
    ]);
    assert.deepEqual(sent, [["any_port_down", "firing"], [
      "port_down",
      "ended",
    ]]);
    assert.equal(sender.stats.ending, 0);
  } finally {
    await sender.close();
  }
});

Deno.test("5xx, 408 and 429 are retried like an outage", async () => {
  for (const status of [500, 503, 408, 429]) {
    const { server, sender, lines, step } = setup();
    try {
      server.script.push(status);
      sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
      await step(BATCH + 750);
      assert.equal(server.posts.length, 2, `${status} retried`);
      assert.equal(sender.stats.failed, 1);
      assert.match(levels(lines, "WARN")[0], new RegExp(`HTTP ${status}`));
      assert.equal(levels(lines, "INFO").length, 1);
    } finally {
      await sender.close();
    }
  }
});

Deno.test("4xx: the batch is dropped, one error line until a success", async () => {
  const { clock, server, sender, lines, step } = setup();
  try {
    server.script.push(400, 400);
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    await step(BATCH);
    assert.equal(server.posts.length, 1);
    assert.equal(sender.stats.rejected, 1);
    assert.deepEqual(
      clock.pending(),
      [60_000 - BATCH],
      "no retry, only the re-send",
    );
    const errors = levels(lines, "ERROR");
    assert.equal(errors.length, 1);
    assert.match(
      errors[0],
      /rejected alerts; batch dropped status=400 alerts=1/,
    );
    assert.match(errors[0], /start time must be before end time/);
    await step(60_000);
    assert.equal(
      server.posts.length,
      2,
      "re-sent on the period, rejected again",
    );
    assert.equal(levels(lines, "ERROR").length, 1, "still one line");
    await step(60_000);
    assert.equal(server.posts.length, 3, "accepted");
    server.script.push(422);
    await step(60_000);
    assert.equal(
      levels(lines, "ERROR").length,
      2,
      "a new line after a success",
    );
    assert.equal(levels(lines, "WARN").length, 0, "a 4xx is not an outage");
  } finally {
    await sender.close();
  }
});

Deno.test("a request that hangs times out and is retried", async () => {
  const { server, sender, lines, step } = setup({ timeoutMs: 50 });
  try {
    server.script.push("hang");
    sender.listener(move(portDown, { from: "pending", to: "firing" }, T0));
    // The timeout is a real AbortSignal.timeout: idle() resolves when it fires.
    await step(BATCH);
    assert.equal(sender.stats.failed, 1);
    assert.match(levels(lines, "WARN")[0], /reason="request timed out"/);
    assert.deepEqual(server.aborted, ["TimeoutError"]);
    await step(750);
    assert.equal(server.posts.length, 2);
    assert.equal(sender.stats.delivered, 1);
  } finally {
    await sender.close();
  }
});

Deno.test("during an outage, ended alerts beyond maxEnded are dropped oldest first, one warn", async () => {
  const { server, sender, lines, step } = setup({ maxEnded: 2 });
  try {
    server.otherwise = refused();
    const alerts = [0, 4, 8, 12, 16].map((n) =>
      makeAlert("port_down", { port: `Ethernet${n}` })
    );
    for (const alert of alerts) {
      sender.listener(move(alert, { from: "pending", to: "firing" }, T0));
    }
    await step(BATCH);
    for (const [i, alert] of alerts.entries()) {
      sender.listener(
        move(alert, { from: "firing", to: "resolved" }, T0 + 1_000 + i),
      );
    }
    assert.equal(sender.stats.ending, 2);
    assert.equal(sender.stats.evicted, 3);
    assert.equal(sender.stats.firing, 0);
    server.otherwise = 200;
    await step(10_000);
    assert.deepEqual(server.last().map((alert) => alert.labels.port), [
      "Ethernet12",
      "Ethernet16",
    ]);
    assert.equal(sender.stats.ending, 0, "forgotten once delivered");
    const dropped = lines.filter((line) =>
      line.includes("dropped undelivered")
    );
    assert.equal(dropped.length, 1, lines.join("\n"));
  } finally {
    await sender.close();
  }
});

Deno.test("a listener call costs no request and no wait, even with Alertmanager down", async () => {
  const { clock, server, sender } = setup({ closeTimeoutMs: 50 });
  try {
    server.otherwise = "hang";
    for (let i = 0; i < 1_000; i++) {
      const alert = makeAlert("port_down", { port: `Ethernet${i}` });
      sender.listener(move(alert, { from: "pending", to: "firing" }, T0));
    }
    assert.equal(server.posts.length, 0);
    assert.deepEqual(
      clock.pending(),
      [BATCH, 60_000],
      "one flush, one re-send timer",
    );
  } finally {
    await sender.close();
  }
  assert.equal(
    server.posts.length,
    1,
    "the final flush, aborted by its timeout",
  );
});
