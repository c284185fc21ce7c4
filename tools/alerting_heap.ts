/**
 * Memory of the alerting engine, from V8 heap usage after full GCs: bytes
 * per rule (100,000 rules, none firing) and per active alert (100,000
 * firing alerts: one per-port rule over 100,000 ports, and 100,000
 * unlabelled rules each firing), and the bytes an evaluation allocates when
 * nothing changes (no GC between the readings, in a large young
 * generation).
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc,--min-semi-space-size=64 tools/alerting_heap.ts
 * ```
 * @module
 */

import { AlertEngine } from "../src/alerting/engine.ts";
import { parseRule } from "../src/alerting/rules.ts";
import type {
  AlertRule,
  MetricReader,
  MetricSample,
} from "../src/alerting/types.ts";

const COUNT = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error("run with --v8-flags=--expose-gc (see the module doc)");
  Deno.exit(1);
}

/** Heap in use after full collections, bytes. */
function heap(): number {
  for (let i = 0; i < 4; i++) gc!();
  return Deno.memoryUsage().heapUsed;
}

/** A reader over fixed data: unlabelled values and one per-port series. */
class StaticReader implements MetricReader {
  readonly values = new Map<string, number>();
  ports: MetricSample[] = [];
  has(metric: string): boolean {
    return this.values.has(metric) || metric === "port_oper_up";
  }
  series(metric: string): MetricSample[] {
    if (metric === "port_oper_up") return this.ports;
    return [{ labels: {}, value: this.values.get(metric) ?? NaN }];
  }
  value(metric: string): number | undefined {
    return metric === "port_oper_up" ? undefined : this.values.get(metric);
  }
}

/** Rules as the schema makes them: distinct ids, thresholds, descriptions. */
function makeRules(count: number, metrics: number): AlertRule[] {
  return Array.from({ length: count }, (_, i) =>
    parseRule({
      id: `rule_${i}`,
      metric: `metric_${i % metrics}`,
      condition: "above",
      threshold: 1000 + i,
      for: "0s",
      severity: "warning",
      description: `Rule ${i}: {{value}} above {{threshold}}`,
    }));
}

/** Bytes allocated per call of `fn` and per rule or port it evaluates. */
function allocated(fn: () => void): string {
  for (let i = 0; i < 300; i++) fn();
  const rounds = 200;
  const before = heap();
  for (let i = 0; i < rounds; i++) fn();
  const bytes = (Deno.memoryUsage().heapUsed - before) / rounds;
  return `${bytes.toFixed(0)} B allocated per call, ${
    (bytes / COUNT).toFixed(3)
  } B per evaluation of one alert (${rounds} calls after 300 to warm up)`;
}

function perUnit(bytes: number): string {
  return `${(bytes / COUNT).toFixed(0)} B`;
}

// Rules: the AlertRule objects, then the engine's own state for them.
{
  const reader = new StaticReader();
  for (let m = 0; m < 100; m++) reader.values.set(`metric_${m}`, 0);
  const engine = new AlertEngine({ reader, historySize: 1000 });
  const base = heap();
  const rules = makeRules(COUNT, 100);
  const withRules = heap();
  engine.setRules(rules);
  const withEngine = heap();
  console.log(
    `rules: ${
      perUnit(withRules - base)
    } per AlertRule object (schema output), ` +
      `${perUnit(withEngine - withRules)} per rule in the engine, ` +
      `${
        perUnit(withEngine - base)
      } per rule in all (${COUNT} rules, 100 metrics)`,
  );

  // Each of those rules firing: one unlabelled alert per rule.
  for (let m = 0; m < 100; m++) reader.values.set(`metric_${m}`, 1e12);
  engine.evaluate();
  const firing = heap();
  console.log(
    `alerts (unlabelled): ${perUnit(firing - withEngine)} per firing alert ` +
      `(${engine.active().length} alerts; history holds 1000 transitions)`,
  );
  // Allocation of an evaluation that changes nothing (no GC in between:
  // run with a large young generation), after warm-up rounds that let V8
  // optimize the code.
  console.log(
    `evaluate() of ${COUNT} firing rules, no change: ${
      allocated(() => engine.evaluate())
    }`,
  );
  rules.length = 0;
}

// Alerts: one per-port rule over 100,000 ports, every port firing.
{
  const reader = new StaticReader();
  reader.ports = Array.from({ length: COUNT }, (_, i) => ({
    labels: { port: `Ethernet${i * 4}` },
    value: 1,
  }));
  const engine = new AlertEngine({ reader, historySize: 1000 });
  engine.setRules([parseRule({
    id: "port_down",
    metric: "port_oper_up",
    condition: "below",
    threshold: 1,
    description: "Port {{port}} is down",
  })]);
  engine.evaluate();
  const base = heap();
  for (const sample of reader.ports) sample.value = 0;
  engine.evaluate();
  const firing = heap();
  console.log(
    `alerts (per port): ${perUnit(firing - base)} per firing alert ` +
      `(${engine.active().length} alerts of one rule; history holds 1000 transitions)`,
  );
  console.log(
    `evaluate() of ${COUNT} firing ports, no change: ${
      allocated(() => engine.evaluate())
    }`,
  );
}

// rate_of_change: 100,000 rules over 100 counters that rise every call (a
// sample per rule per call, no transition).
{
  const reader = new StaticReader();
  for (let m = 0; m < 100; m++) reader.values.set(`metric_${m}`, 0);
  const engine = new AlertEngine({ reader, historySize: 1000 });
  engine.setRules(Array.from({ length: COUNT }, (_, i) =>
    parseRule({
      id: `rate_${i}`,
      metric: `metric_${i % 100}`,
      condition: "rate_of_change",
      threshold: 1e15,
      window: "60s",
    })));
  const keys = Array.from({ length: 100 }, (_, m) => `metric_${m}`);
  let counter = 0;
  const rise = () => {
    counter += 1000;
    for (let m = 0; m < 100; m++) reader.values.set(keys[m], counter);
    engine.evaluate();
  };
  console.log(
    `evaluate() of ${COUNT} rate_of_change rules, counters rising: ${
      allocated(rise)
    }`,
  );
}
