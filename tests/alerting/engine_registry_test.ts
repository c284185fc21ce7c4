/**
 * The engine on the real metric registry (its `value()` fast path for
 * unlabelled metrics, `series()` for `port_oper_up`), fed by EngineMetrics
 * as the daemon feeds it.
 * @module
 */

import assert from "node:assert/strict";
import { AlertEngine } from "../../src/alerting/engine.ts";
import { parseRules } from "../../src/alerting/rules.ts";
import {
  EngineMetrics,
  MetricRegistry,
  registerEngine,
} from "../../src/metrics/mod.ts";
import { newCounters } from "../../src/sync/stats.ts";
import { link } from "../sync/links.ts";
import { describe } from "./engine_rig.ts";

Deno.test("rules on the registry: ports_oper_down and per-port port_oper_up follow the ports", () => {
  const registry = new MetricRegistry();
  const metrics = new EngineMetrics({ now: () => 0 });
  registerEngine(registry, metrics, { counters: newCounters() });
  let clock = 1_000_000;
  const engine = new AlertEngine({ reader: registry, now: () => clock });
  const seen: string[] = [];
  engine.onTransition((t) => seen.push(describe(t)));
  engine.setRules(parseRules([
    {
      id: "any_port_down",
      metric: "ports_oper_down",
      condition: "above",
      threshold: 0,
    },
    {
      id: "port_down",
      metric: "port_oper_up",
      condition: "below",
      threshold: 1,
      keep_firing_for: "2s",
      description: "Port {{port}} is down",
    },
  ], { metrics: registry }));
  const changed = ["ports_oper_down", "port_oper_up"];
  metrics.portChanged("Ethernet0", link("Ethernet0", { oper: "up" }));
  metrics.portChanged("Ethernet4", link("Ethernet4", { oper: "down" }));
  engine.evaluate(changed);
  assert.deepEqual(seen.splice(0), [
    "any_port_down: null -> firing",
    "port_down|Ethernet4: null -> firing",
  ]);
  assert.equal(engine.active()[1].message, "Port Ethernet4 is down");
  metrics.portChanged("Ethernet4", null);
  engine.evaluate(changed);
  assert.deepEqual(seen.splice(0), ["any_port_down: firing -> resolved"]);
  clock += 2000;
  engine.tick();
  assert.deepEqual(
    seen.splice(0),
    ["port_down|Ethernet4: firing -> resolved"],
    "its series is gone",
  );
});

Deno.test("the schema checks metric names against the registry itself", () => {
  const registry = new MetricRegistry();
  registerEngine(registry, new EngineMetrics(), { counters: newCounters() });
  assert.throws(
    () =>
      parseRules([{
        id: "x",
        metric: "port_flaps",
        condition: "above",
        threshold: 0,
      }], {
        metrics: registry,
      }),
    { message: 'rule x: metric: unknown metric "port_flaps"' },
  );
});
