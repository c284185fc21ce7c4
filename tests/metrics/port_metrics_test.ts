/**
 * Per-port metrics: down, flaps since start and over the last minute, from
 * the engine's port reports, read through the registry's rule names.
 * @module
 */

import assert from "node:assert/strict";
import { MetricRegistry } from "../../src/metrics/registry.ts";
import { PortMetrics, registerPorts } from "../../src/metrics/port_metrics.ts";
import { link } from "../sync/links.ts";

Deno.test("port metrics: only oper changes are flaps; the minute window slides; a gone port has no series", () => {
  let now = 0;
  const ports = new PortMetrics({ now: () => now });
  const registry = new MetricRegistry();
  registerPorts(registry, ports);
  const value = (rule: string, port: string) => registry.value(rule, { port });
  ports.portChanged("Ethernet0", link("Ethernet0"));
  ports.portChanged("Ethernet4", link("Ethernet4", { oper: "down" }));
  assert.equal(value("port_oper_down", "Ethernet0"), 0);
  assert.equal(value("port_oper_down", "Ethernet4"), 1);
  assert.equal(
    value("port_flaps", "Ethernet0"),
    0,
    "the first report is no flap",
  );
  ports.portChanged("Ethernet0", link("Ethernet0", { mtu: 1500 }));
  assert.equal(value("port_flaps", "Ethernet0"), 0, "an MTU change is no flap");
  for (let i = 0; i < 4; i++) {
    now += 10_000;
    ports.portChanged(
      "Ethernet0",
      link("Ethernet0", { oper: i % 2 === 0 ? "down" : "up" }),
    );
  }
  assert.equal(value("port_flaps", "Ethernet0"), 4);
  assert.equal(value("port_flaps_per_minute", "Ethernet0"), 4);
  now += 35_000; // the first flap (t=10 s) is now 65 s old
  assert.equal(value("port_flaps_per_minute", "Ethernet0"), 3);
  now += 60_000;
  assert.equal(value("port_flaps_per_minute", "Ethernet0"), 0);
  assert.equal(value("port_flaps", "Ethernet0"), 4);
  ports.portChanged("Ethernet4", null);
  assert.equal(value("port_oper_down", "Ethernet4"), undefined);
  assert.deepEqual(
    registry.series("port_oper_down").map((s) => s.labels.port),
    ["Ethernet0"],
  );
});
