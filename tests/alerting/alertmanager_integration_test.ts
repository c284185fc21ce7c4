/**
 * The Alertmanager sender against a real Prometheus Alertmanager (Debian
 * `prometheus-alertmanager`, started here on a temp config and a free port):
 * a firing alert is listed with portsyncd's labels and annotations, its
 * re-sends move its `endsAt` on, suppression takes it out and back, resolve
 * takes it out; an Alertmanager that starts late gets the alert through the
 * retries, with one warn line and one info line.
 * @module
 */

import assert from "node:assert/strict";
import { AlertmanagerSender } from "../../src/alerting/alertmanager.ts";
import { waitFor } from "../helpers/daemon.ts";
import { freePort } from "../metrics/free_port.ts";
import { makeAlert, memoryLog, move } from "./alertmanager_fake.ts";
import {
  alertmanagerSkipReason,
  type GettableAlert,
  startAlertmanager,
} from "./alertmanager_server.ts";

const skip = alertmanagerSkipReason();

/**
 * Re-send period of the first test. Firing alerts are sent with `endsAt`
 * four periods ahead (12 s), so an alert leaving the list within
 * {@linkcode GONE_MS} was ended by the sender, not by its `endsAt` passing.
 */
const RESEND_MS = 3_000;
const GONE_MS = 6_000;

function unique(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
}

if (skip !== null) {
  Deno.test({
    name: `alertmanager integration: skipped, ${skip}`,
    ignore: true,
    fn() {},
  });
} else {
  Deno.test("alertmanager integration: firing, re-sent, suppressed, fired again, resolved", async (t) => {
    const server = await startAlertmanager();
    const { log, lines } = memoryLog();
    const instance = unique("switch");
    const sender = new AlertmanagerSender({
      url: server.url,
      instance,
      log,
      resendMs: RESEND_MS,
      batchMs: 10,
    });
    const ruleId = unique("port_down");
    const labels = { alertname: ruleId, instance };
    const alert = makeAlert(ruleId, {
      port: "Ethernet8",
      severity: "critical",
      value: 1,
      activeSince: Date.now() - 1_000,
      message: "Port Ethernet8 is down",
    });
    const listed = () => server.alerts(labels);
    /** Waits until exactly one alert is listed and `accept`s; returns it. */
    async function one(
      what: string,
      accept: (shown: GettableAlert) => boolean = () => true,
    ): Promise<GettableAlert> {
      let found: GettableAlert | undefined;
      await waitFor(what, async () => {
        const shown = await listed();
        found = shown.length === 1 && accept(shown[0]) ? shown[0] : undefined;
        return found !== undefined;
      });
      return found!;
    }
    try {
      await t.step("firing: listed active with its labels", async () => {
        sender.listener(
          move(alert, { from: "pending", to: "firing" }, Date.now()),
        );
        const shown = await one("the alert in Alertmanager");
        assert.deepEqual(shown.labels, {
          alertname: ruleId,
          severity: "critical",
          port: "Ethernet8",
          instance,
          job: "portsyncd",
        });
        assert.deepEqual(shown.annotations, {
          summary: "Port Ethernet8 is down",
          description: "Port Ethernet8 is down",
          value: "1",
        });
        assert.equal(shown.status.state, "active");
        assert.equal(Date.parse(shown.startsAt), alert.activeSince);
        assert.equal(Date.parse(shown.endsAt) > Date.now(), true);
      });

      await t.step("re-sent while firing: endsAt moves on", async () => {
        const before = Date.parse((await one("the alert")).endsAt);
        const later = await one(
          "a re-send",
          (shown) => Date.parse(shown.endsAt) > before,
        );
        assert.equal(Date.parse(later.startsAt), alert.activeSince);
        assert.equal(sender.stats.delivered >= 2, true);
      });

      await t.step("suppressed: gone from the active list", async () => {
        sender.listener(
          move(alert, { from: "firing", to: "suppressed" }, Date.now()),
        );
        await waitFor(
          "the alert to leave",
          async () => (await listed()).length === 0,
          { timeoutMs: GONE_MS },
        );
      });

      await t.step(
        "unsuppressed: listed again with its first startsAt",
        async () => {
          sender.listener(
            move(alert, { from: "suppressed", to: "firing" }, Date.now()),
          );
          const shown = await one("the alert back");
          assert.equal(Date.parse(shown.startsAt), alert.activeSince);
          assert.equal(shown.status.state, "active");
        },
      );

      await t.step("resolved: gone, and the sender forgets it", async () => {
        sender.listener(
          move(alert, { from: "firing", to: "resolved" }, Date.now()),
        );
        await waitFor(
          "the alert to resolve",
          async () => (await listed()).length === 0,
          { timeoutMs: GONE_MS },
        );
        await waitFor("the sender to settle", () => sender.stats.ending === 0);
        assert.equal(sender.stats.firing, 0);
        assert.equal(sender.stats.failed, 0, lines.join("\n"));
        assert.equal(sender.stats.rejected, 0, lines.join("\n"));
      });
    } finally {
      await sender.close();
      await server.stop();
    }
    assert.deepEqual(lines.filter((line) => !line.startsWith("DEBUG")), []);
  });

  Deno.test("alertmanager integration: an Alertmanager that starts late gets the alert through the retries", async () => {
    const port = freePort();
    const { log, lines } = memoryLog();
    const instance = unique("switch");
    const sender = new AlertmanagerSender({
      url: `http://127.0.0.1:${port}`,
      instance,
      log,
      batchMs: 10,
      backoff: { initialMs: 50, maxMs: 400 },
    });
    const ruleId = unique("any_port_down");
    const alert = makeAlert(ruleId, { activeSince: Date.now() });
    let server: Awaited<ReturnType<typeof startAlertmanager>> | null = null;
    try {
      sender.listener(
        move(alert, { from: "pending", to: "firing" }, Date.now()),
      );
      await waitFor("a few failed attempts", () => sender.stats.failed >= 3);
      const warns = lines.filter((line) => line.startsWith("WARN"));
      assert.equal(warns.length, 1, lines.join("\n"));
      assert.match(warns[0], /alerts not delivered to Alertmanager; retrying/);
      server = await startAlertmanager({ port });
      const running = server;
      const shown = await waitFor(
        "the alert in Alertmanager",
        async () => (await running.alerts({ alertname: ruleId, instance }))[0],
        { timeoutMs: 15_000 },
      );
      assert.equal(shown.labels.job, "portsyncd");
      assert.equal("port" in shown.labels, false);
      await waitFor(
        "the back line",
        () =>
          lines.some((line) =>
            line.startsWith("INFO alerts delivered to Alertmanager again")
          ),
      );
      assert.equal(lines.filter((line) => line.startsWith("WARN")).length, 1);
    } finally {
      await sender.close();
      await server?.stop();
    }
  });
}
