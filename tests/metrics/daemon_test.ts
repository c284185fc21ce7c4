/**
 * The real daemon's /metrics: real kernel links in a namespace, a real
 * Redis, `promtool check metrics` on its scrape, and a real Prometheus
 * that scrapes it and answers `portsyncd_events_total` ≥ the link changes
 * made. A port in use is one line and exit 1.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { rigTest, waitForConvergence } from "../sync/rig.ts";
import { commandExists, freePort, promtoolCheck } from "./free_port.ts";
import { prometheusAvailable, startPrometheus } from "./prometheus.ts";

/** The TOML the rig appends inside `[netlink]`: a section of its own. */
function metricsToml(listen: string): string {
  return `\n[metrics]\nlisten = "${listen}"\n`;
}

async function scrape(listen: string): Promise<string> {
  const response = await fetch(`http://${listen}/metrics`);
  assert.equal(response.status, 200);
  return await response.text();
}

function sample(text: string, series: string): number | null {
  const escaped = series.replace(/[{}"[\]().+]/g, "\\$&");
  const match = text.match(new RegExp(`^${escaped} (\\S+)$`, "m"));
  return match === null ? null : Number(match[1]);
}

const LINK_CHANGES = 40;

if (!commandExists("promtool") || !prometheusAvailable()) {
  Deno.test({
    name: "metrics daemon: prometheus and promtool are installed",
    ignore: true,
    fn() {},
  });
} else {
  rigTest(
    "metrics daemon: the scrape passes promtool, follows the kernel, and a real Prometheus counts the link changes",
    async (rig) => {
      const listen = `127.0.0.1:${freePort()}`;
      const daemon = await rig.startReady({ toml: metricsToml(listen) });
      await daemon.waitForLog(/metrics endpoint listening/);
      const before = sample(await scrape(listen), "portsyncd_events_total")!;
      assert.ok(before >= 4, `the start-up dump counted (${before})`);
      const lines: string[] = [];
      for (let i = 0; i < LINK_CHANGES / 2; i++) {
        lines.push("link set Ethernet0 up", "link set Ethernet0 down");
      }
      await rig.ns.ipBatch([...lines, "link set Ethernet8 up"]);
      await waitForConvergence(rig);
      const text = (await waitFor("the changes to be counted", async () => {
        const text = await scrape(listen);
        const events = sample(text, "portsyncd_events_total")!;
        return events >= before + LINK_CHANGES ? text : null;
      }))!;
      // Per port as the kernel has it: Ethernet8 and its veth peer
      // Ethernet12 down until both ends are up; Ethernet0 ended down.
      const kernel = await rig.kernel();
      for (const [port, fields] of kernel) {
        assert.equal(
          sample(text, `portsyncd_port_oper_up{port="${port}"}`),
          fields.netdev_oper_status === "up" ? 1 : 0,
          port,
        );
      }
      assert.equal(sample(text, 'portsyncd_port_oper_up{port="eth16"}'), null);
      assert.equal(sample(text, "portsyncd_redis_reconnects_total"), 0);
      assert.ok(sample(text, "portsyncd_event_latency_seconds_count")! > 0);
      assert.equal(sample(text, "portsyncd_port_init_done"), 1);
      assert.match(text, /^portsyncd_build_info\{version="[^"]+"\} 1$/m);
      assert.deepEqual(await promtoolCheck(text), { code: 0, output: "" });

      const prometheus = await startPrometheus(listen);
      try {
        const seen = await waitFor(
          "prometheus to have portsyncd_events_total",
          async () => {
            const value = await prometheus.query("portsyncd_events_total");
            return value !== null && value >= LINK_CHANGES ? value : null;
          },
          { timeoutMs: 30_000 },
        ).catch((error) => {
          throw new Error(`${error.message}\n${prometheus.log.join("\n")}`);
        });
        assert.ok(seen! >= before + LINK_CHANGES);
        assert.equal(await prometheus.query('up{job="portsyncd"}'), 1);
        // A clean SIGTERM while Prometheus keeps its connection open.
        const stopped = await daemon.stop("SIGTERM");
        assert.equal(stopped.code, 0, daemon.lines.join("\n"));
      } finally {
        await prometheus.stop();
      }
    },
  );
}

rigTest(
  "metrics daemon: a metrics port in use is one line and exit 1",
  async (rig) => {
    const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (holder.addr as Deno.NetAddr).port;
    try {
      const daemon = await rig.start({
        toml: metricsToml(`127.0.0.1:${port}`),
      });
      const status = await daemon.status;
      assert.equal(status.code, 1);
      const errors = daemon.lines.filter((line) =>
        line.startsWith("portsyncd:")
      );
      assert.deepEqual(errors, [
        `portsyncd: metrics listen 127.0.0.1:${port}: address in use`,
      ]);
      assert.ok(!daemon.lines.some((line) => /portsyncd started/.test(line)));
    } finally {
      holder.close();
    }
  },
);
