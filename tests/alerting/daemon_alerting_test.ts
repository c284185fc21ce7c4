/**
 * Alerting end to end: the real daemon on namespace links and a real Redis,
 * rules from the config file and live from CONFIG_DB, alerts in APPL_DB, in
 * a real Alertmanager and in `portsyncd --status`, suppression from
 * CONFIG_DB.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { portsyncd } from "../cli/run.ts";
import { type Rig, rigTest } from "../sync/rig.ts";
import {
  type AlertmanagerServer,
  alertmanagerSkipReason,
  startAlertmanager,
} from "./alertmanager_server.ts";

const RULES = `
[[alerting.rules]]
id = "any_port_down"
metric = "ports_oper_down"
condition = "above"
threshold = 0
severity = "critical"
description = "{{value}} port(s) down"

[[alerting.rules]]
id = "port_down"
metric = "port_oper_down"
condition = "equals"
threshold = 1
description = "Port {{port}} is down"
`;

function alertRow(rig: Rig, key: string): Promise<Record<string, string>> {
  return rig.appl.hgetall(`PORTSYNCD_ALERT_TABLE:${key}`);
}

async function allUp(rig: Rig): Promise<void> {
  await rig.ns.ipBatch([
    "link set Ethernet0 up",
    "link set Ethernet4 up",
    "link set Ethernet8 up",
    "link set Ethernet12 up",
    "link set Ethernet16 up",
    "link set eth16 up",
  ]);
}

async function withAlertmanager(
  body: (am: AlertmanagerServer) => Promise<void>,
): Promise<void> {
  const am = await startAlertmanager();
  try {
    await body(am);
  } finally {
    await am.stop();
  }
}

if (alertmanagerSkipReason() !== null) {
  Deno.test({
    name: `alerting daemon: ${alertmanagerSkipReason()}`,
    ignore: true,
    fn() {},
  });
} else {
  rigTest(
    "alerting daemon: a port going down fires into APPL_DB, Alertmanager and --status; back up, it resolves everywhere",
    (rig) =>
      withAlertmanager(async (am) => {
        const daemon = await rig.startReady({
          toml: `\n[alerting]\nalertmanager_url = "${am.url}"\n` +
            `alertmanager_resend_ms = 1000\n${RULES}`,
        });
        // Every port is down at start: the switch-wide rule fires.
        await waitFor(
          "any_port_down firing",
          async () => (await alertRow(rig, "any_port_down")).state === "firing",
        );
        await allUp(rig);
        await waitFor(
          "every alert resolved and deleted",
          async () =>
            (await rig.appl.scan("PORTSYNCD_ALERT_TABLE:*")).length === 0,
        );
        const mark = daemon.lines.length;
        await rig.ns.ip("link", "set", "Ethernet0", "down");
        await waitFor(
          "port_down|Ethernet0 firing",
          async () =>
            (await alertRow(rig, "port_down|Ethernet0")).state === "firing",
        );
        const row = await alertRow(rig, "any_port_down");
        assert.equal(row.state, "firing");
        assert.equal(row.severity, "critical");
        // The message is rendered when the alert fires: Ethernet0's peer
        // loses its carrier through the kernel's linkwatch, often in a later
        // batch, so the value then is 1 or already 2.
        assert.match(row.message, /^[12] port\(s\) down$/);
        assert.ok(!Number.isNaN(Date.parse(row.since)), row.since);
        await waitFor(
          "the alert in Alertmanager",
          async () =>
            (await am.alerts({ alertname: "port_down", port: "Ethernet0" }))
              .length === 1,
        );
        const [listed] = await am.alerts({ alertname: "any_port_down" });
        assert.equal(listed.labels.severity, "critical");
        assert.equal(listed.labels.job, "portsyncd");

        const status = await portsyncd([
          "--status",
          "-d",
          rig.server.dbConfigPath,
        ]);
        assert.equal(status.code, 0, status.stderr);
        assert.match(status.stdout, /^port_down\|Ethernet0 +firing +warning /m);
        assert.match(status.stdout, /^any_port_down +firing +critical /m);

        await rig.ns.ip("link", "set", "Ethernet0", "up");
        await waitFor(
          "resolved in APPL_DB",
          async () =>
            (await rig.appl.scan("PORTSYNCD_ALERT_TABLE:*")).length === 0,
        );
        await waitFor(
          "resolved in Alertmanager",
          async () =>
            (await am.alerts({ alertname: "port_down" })).length === 0,
        );
        const logged = daemon.lines.slice(mark).filter((line) =>
          /alert (firing|resolved).*key=port_down\|Ethernet0/.test(line)
        );
        assert.equal(logged.length, 2, logged.join("\n"));
        assert.equal((await daemon.stop("SIGTERM")).code, 0);
      }),
  );
}

rigTest(
  "alerting daemon: rules and suppressions from CONFIG_DB are followed live",
  async (rig) => {
    await rig.server.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
    const daemon = await rig.startReady();
    await allUp(rig);
    await rig.config.hset("PORTSYNCD_ALERT_RULE|live_down", {
      metric: "port_oper_down",
      condition: "equals",
      threshold: "1",
      severity: "warning",
      description: "{{port}} down",
    });
    await rig.config.hset("PORTSYNCD_ALERT_RULE|broken", {
      metric: "no_such_metric",
      condition: "above",
    });
    await rig.ns.ip("link", "set", "Ethernet8", "down");
    await waitFor(
      "live_down|Ethernet8 firing",
      async () =>
        (await alertRow(rig, "live_down|Ethernet8")).state === "firing",
    );
    await daemon.waitForLog(
      /CONFIG_DB alert entry skipped key="?PORTSYNCD_ALERT_RULE\|broken/,
    );
    await rig.config.hset("PORTSYNCD_ALERT_SUPPRESS|live_down|Ethernet8", {
      until: "",
    });
    await waitFor(
      "the alert suppressed",
      async () =>
        (await alertRow(rig, "live_down|Ethernet8")).state === "suppressed",
    );
    await rig.config.del("PORTSYNCD_ALERT_SUPPRESS|live_down|Ethernet8");
    await waitFor(
      "firing again",
      async () =>
        (await alertRow(rig, "live_down|Ethernet8")).state === "firing",
    );
    await rig.config.del("PORTSYNCD_ALERT_RULE|live_down");
    await waitFor(
      "the rule's alert gone",
      async () =>
        Object.keys(await alertRow(rig, "live_down|Ethernet8")).length === 0,
    );
    assert.equal(
      daemon.lines.filter((line) => line.includes("entry skipped")).length,
      1,
      "an invalid rule is logged once",
    );
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
  },
);
