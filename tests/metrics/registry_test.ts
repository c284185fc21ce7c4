/**
 * The metric registry: Prometheus names, types and help, rule-facing names,
 * value()/series(), and the exposition text.
 * @module
 */

import assert from "node:assert/strict";
import {
  EngineMetrics,
  MetricRegistry,
  registerEngine,
  registerProcess,
  registerWarmRestart,
  UnknownMetricError,
  VERSION,
  type WarmRestartSource,
} from "../../src/metrics/mod.ts";
import { newCounters } from "../../src/sync/stats.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { link } from "../sync/links.ts";
import { WarmRestartMetrics } from "../../src/warm_restart/metrics.ts";

function warmSource(): WarmRestartSource {
  return {
    counters: {
      warm_restarts: 2,
      cold_starts: 3,
      eoiu_detected: 5,
      eoiu_timeouts: 1,
      state_recoveries: 4,
      corruptions_detected: 1,
      initial_sync_ms_last: 1500,
      initial_sync_ms_min: 800,
      initial_sync_ms_max: 2500,
    },
    healthScore: () => 0.75,
  };
}

/** The registry as the daemon builds it. */
function fullRegistry() {
  const registry = new MetricRegistry();
  const engine = new EngineMetrics({ now: () => 0 });
  registerEngine(registry, engine, { counters: newCounters() });
  registerWarmRestart(registry, warmSource());
  registerProcess(registry);
  return { registry, engine };
}

/** `# TYPE` and `# HELP` of every metric family in an exposition text. */
function families(text: string): Map<string, { type: string; help: string }> {
  const found = new Map<string, { type: string; help: string }>();
  for (const line of text.split("\n")) {
    const match = line.match(/^# (HELP|TYPE) (\S+) (.*)$/);
    if (match === null) continue;
    const entry = found.get(match[2]) ?? { type: "", help: "" };
    if (match[1] === "TYPE") entry.type = match[3];
    else entry.help = match[3];
    found.set(match[2], entry);
  }
  return found;
}

const REQUIRED = [
  ["portsyncd_events_total", "counter"],
  ["portsyncd_event_latency_seconds", "histogram"],
  ["portsyncd_health_score", "gauge"],
  ["portsyncd_cold_starts_total", "counter"],
  ["portsyncd_warm_restarts_total", "counter"],
  ["portsyncd_corruptions_detected_total", "counter"],
  ["portsyncd_netlink_overflows_total", "counter"],
  ["portsyncd_redis_reconnects_total", "counter"],
  ["portsyncd_queue_depth", "gauge"],
  ["portsyncd_port_oper_up", "gauge"],
  ["portsyncd_build_info", "gauge"],
];

Deno.test("registry: the required metrics are exposed with their types and help", async () => {
  const { registry, engine } = fullRegistry();
  engine.portChanged("Ethernet0", link("Ethernet0"));
  const exposed = families(await registry.metrics());
  for (const [name, type] of REQUIRED) {
    assert.equal(exposed.get(name)?.type, type, name);
    assert.ok(exposed.get(name)!.help.length > 10, `${name} has help`);
  }
});

Deno.test("registry: every metric follows the naming rules and is documented", async () => {
  const { registry } = fullRegistry();
  const exposed = families(await registry.metrics());
  const infos = registry.describe();
  const rules = new Set<string>();
  for (const info of infos) {
    assert.match(info.rule, /^[a-z][a-z0-9_]*$/, info.rule);
    assert.ok(!rules.has(info.rule), `${info.rule} is unique`);
    rules.add(info.rule);
    assert.ok(info.help.endsWith("."), `${info.rule}: help is a sentence`);
    if (info.name === null) {
      assert.equal(info.kind, "value");
      continue;
    }
    assert.match(info.name, /^(portsyncd|process)_[a-z0-9_]+$/);
    assert.equal(info.name.endsWith("_total"), info.kind === "counter");
    assert.deepEqual(exposed.get(info.name), {
      type: info.kind,
      help: info.help,
    });
  }
  // Nothing is exposed that is not described.
  const described = new Set(infos.map((info) => info.name));
  for (const name of exposed.keys()) assert.ok(described.has(name), name);
  for (
    const rule of [
      "events_total",
      "ports_oper_down",
      "latency_p99_us",
      "port_oper_up",
      "events_per_second_10s",
      "health_score",
    ]
  ) {
    assert.ok(registry.has(rule), rule);
  }
});

Deno.test("registry: value() and series() read the sources now, per port for per-port metrics", () => {
  const { registry, engine } = fullRegistry();
  assert.equal(registry.value("events_total"), 0);
  engine.batchHandled({ messages: 4, receivedAt: 0, ackedAt: 0.2, writes: 1 });
  assert.equal(registry.value("events_total"), 4);
  engine.portChanged("Ethernet0", link("Ethernet0"));
  engine.portChanged("Ethernet4", link("Ethernet4", { oper: "down" }));
  assert.equal(registry.value("port_oper_up", { port: "Ethernet0" }), 1);
  assert.equal(registry.value("port_oper_up", { port: "Ethernet4" }), 0);
  assert.equal(
    registry.value("port_oper_up", { port: "Ethernet8" }),
    undefined,
  );
  assert.equal(registry.value("port_oper_up"), undefined);
  assert.deepEqual(registry.series("port_oper_up"), [
    { labels: { port: "Ethernet0" }, value: 1 },
    { labels: { port: "Ethernet4" }, value: 0 },
  ]);
  assert.deepEqual(registry.series("ports_oper_down"), [
    { labels: {}, value: 1 },
  ]);
  assert.equal(registry.value("health_score"), 0.75);
  assert.equal(registry.value("initial_sync_max_seconds"), 2.5);
  assert.equal(registry.value("corruptions_detected_total"), 1);
  assert.equal(registry.value("latency_count"), 4);
  // 200 µs: below 256 µs the HDR histogram is exact.
  assert.equal(registry.value("latency_p99_us"), 200);
  assert.equal(registry.value("build_info", { version: VERSION }), 1);
  assert.throws(() => registry.value("no_such_metric"), UnknownMetricError);
  assert.throws(
    () => registry.series("no_such_metric"),
    /unknown metric "no_such_metric"/,
  );
});

Deno.test("registry: build_info carries deno.json's version", async () => {
  const { registry } = fullRegistry();
  assert.equal(VERSION, denoJson.version);
  assert.match(
    await registry.metrics(),
    new RegExp(`^portsyncd_build_info\\{version="${VERSION}"\\} 1$`, "m"),
  );
});

Deno.test("registry: duplicate names and counters without _total are refused", () => {
  const registry = new MetricRegistry();
  const spec = { name: "portsyncd_x_total", rule: "x_total", help: "X." };
  registry.counter(spec, () => 1);
  assert.throws(() => registry.counter(spec, () => 1), /already registered/);
  assert.throws(
    () => registry.gauge({ ...spec, rule: "other" }, () => 1),
    /portsyncd_x_total is already registered/,
  );
  assert.throws(
    () => registry.ruleValue({ rule: "x_total", help: "Y." }, () => 1),
    /rule name x_total is already registered/,
  );
  assert.throws(
    () =>
      registry.counter({ name: "portsyncd_y", rule: "y", help: "Y." }, () => 1),
    /must end in _total/,
  );
});

Deno.test("registry: a counter or gauge shows its source's current value at each scrape", async () => {
  const registry = new MetricRegistry();
  let count = 0;
  const ports = new Map<string, number>();
  registry.counter(
    { name: "portsyncd_n_total", rule: "n_total", help: "N." },
    () => count,
  );
  registry.labelledGauge({
    name: "portsyncd_p",
    rule: "p",
    label: "port",
    help: "P.",
  }, () => ports);
  count = 7;
  ports.set("Ethernet0", 1);
  let text = await registry.metrics();
  assert.match(text, /^portsyncd_n_total 7$/m);
  assert.match(text, /^portsyncd_p\{port="Ethernet0"\} 1$/m);
  count = 9;
  ports.delete("Ethernet0");
  ports.set("Ethernet4", 0);
  text = await registry.metrics();
  assert.match(text, /^portsyncd_n_total 9$/m);
  assert.doesNotMatch(text, /Ethernet0/);
  assert.match(text, /^portsyncd_p\{port="Ethernet4"\} 0$/m);
});

Deno.test("registry: src/warm_restart's WarmRestartMetrics is a WarmRestartSource", () => {
  const metrics = new WarmRestartMetrics({ eoiuTimeoutMs: 30_000 });
  metrics.startupDumpRequested(0);
  metrics.started(false, 0);
  metrics.dumpCompleted(250);
  const registry = new MetricRegistry();
  registerWarmRestart(registry, metrics);
  assert.equal(registry.value("cold_starts_total"), 1);
  assert.equal(registry.value("eoiu_detected_total"), 1);
  assert.equal(registry.value("initial_sync_last_seconds"), 0.25);
  assert.equal(registry.value("health_score"), metrics.healthScore());
});

Deno.test("registry: initial-sync durations are 0 before the first", () => {
  const registry = new MetricRegistry();
  registerWarmRestart(registry, {
    counters: {
      ...warmSource().counters,
      initial_sync_ms_last: null,
      initial_sync_ms_min: null,
      initial_sync_ms_max: null,
    },
    healthScore: () => 1,
  });
  assert.equal(registry.value("initial_sync_last_seconds"), 0);
  assert.equal(registry.value("initial_sync_min_seconds"), 0);
  assert.equal(registry.value("initial_sync_max_seconds"), 0);
});

Deno.test("registry: a gauge with several labels has one series per sample, found by all its labels", async () => {
  const registry = new MetricRegistry();
  const samples = [
    {
      labels: { rule: "down", severity: "warning", port: "Ethernet0" },
      value: 1,
    },
    { labels: { rule: "any", severity: "critical", port: "" }, value: 1 },
  ];
  registry.seriesGauge({
    name: "portsyncd_alert_firing",
    rule: "alert_firing",
    labels: ["rule", "severity", "port"],
    help: "1 per firing alert.",
  }, () => samples);
  assert.equal(
    registry.value("alert_firing", {
      rule: "down",
      severity: "warning",
      port: "Ethernet0",
    }),
    1,
  );
  assert.equal(registry.value("alert_firing", { rule: "down" }), undefined);
  assert.equal(registry.series("alert_firing").length, 2);
  const text = await registry.metrics();
  assert.match(
    text,
    /^portsyncd_alert_firing\{rule="down",severity="warning",port="Ethernet0"\} 1$/m,
  );
  samples.pop();
  assert.doesNotMatch(await registry.metrics(), /rule="any"/);
});
