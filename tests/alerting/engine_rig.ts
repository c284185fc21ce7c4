/**
 * Test rig of the alerting engine: a metric reader whose values the test
 * sets, a clock the test moves, rules with defaults, and the transitions as
 * short strings (`key: from -> to`).
 * @module
 */

import { AlertEngine } from "../../src/alerting/engine.ts";
import type {
  AlertRule,
  AlertTransition,
  MetricReader,
  MetricSample,
} from "../../src/alerting/types.ts";
import { createLogger, type Logger } from "../../src/log/mod.ts";

/** A reader of metrics the test sets: unlabelled values or values by port. */
export class FakeReader implements MetricReader {
  readonly values = new Map<string, number | Map<string, number>>();
  /** Reads per metric (series and value). */
  readonly reads = new Map<string, number>();
  /** Whether to offer the allocation-free `value` path. */
  fastPath: boolean;

  constructor(options: { fastPath?: boolean } = {}) {
    this.fastPath = options.fastPath ?? true;
    if (!this.fastPath) this.value = undefined;
  }

  /** Sets an unlabelled metric. */
  set(metric: string, value: number): this {
    this.values.set(metric, value);
    return this;
  }

  /** Sets one port's series of a per-port metric. */
  setPort(metric: string, port: string, value: number): this {
    let ports = this.values.get(metric);
    if (!(ports instanceof Map)) {
      ports = new Map();
      this.values.set(metric, ports);
    }
    ports.set(port, value);
    return this;
  }

  /** Removes one port's series. */
  removePort(metric: string, port: string): this {
    const ports = this.values.get(metric);
    if (ports instanceof Map) ports.delete(port);
    return this;
  }

  has(metric: string): boolean {
    return this.values.has(metric);
  }

  series(metric: string): MetricSample[] {
    this.#count(metric);
    const value = this.values.get(metric);
    if (value === undefined) throw new Error(`unknown metric "${metric}"`);
    if (typeof value === "number") return [{ labels: {}, value }];
    return [...value].map(([port, v]) => ({ labels: { port }, value: v }));
  }

  value?: (metric: string) => number | undefined = (metric) => {
    const value = this.values.get(metric);
    if (value === undefined) throw new Error(`unknown metric "${metric}"`);
    if (typeof value !== "number") return undefined;
    this.#count(metric);
    return value;
  };

  #count(metric: string): void {
    this.reads.set(metric, (this.reads.get(metric) ?? 0) + 1);
  }
}

/** A rule with defaults (above 0 on metric `m`, no for, no keep). */
export function rule(fields: Partial<AlertRule> = {}): AlertRule {
  return {
    id: "r",
    metric: "m",
    condition: "above",
    threshold: 0,
    epsilon: 0,
    min: 0,
    max: 0,
    windowMs: 60_000,
    forMs: 0,
    keepFiringForMs: 0,
    severity: "warning",
    enabled: true,
    description: "",
    ...fields,
  };
}

/** `key: from -> to` (null as `null`). */
export function describe(transition: AlertTransition): string {
  const { alert, from, to } = transition;
  return `${alert.key}: ${from ?? "null"} -> ${to ?? "null"}`;
}

/** An engine on a fake reader and clock, recording transitions. */
export interface Rig {
  engine: AlertEngine;
  reader: FakeReader;
  /** The clock, ms (starts at 1,000,000). */
  clock: { now: number };
  /** Every transition as `key: from -> to`, in order. */
  seen: string[];
  /** Every transition as delivered. */
  transitions: AlertTransition[];
  /** Log lines. */
  logs: string[];
  /** Takes the transitions seen so far (and forgets them). */
  take(): string[];
  /** Moves the clock by `ms`, ticks, and returns the tick's transitions (they stay for `take`). */
  advance(ms: number): string[];
}

/** Creates a {@linkcode Rig} with `rules` set. */
export function rig(
  rules: AlertRule[] = [],
  options: { historySize?: number; reader?: FakeReader; log?: Logger } = {},
): Rig {
  const reader = options.reader ?? new FakeReader();
  const clock = { now: 1_000_000 };
  const logs: string[] = [];
  const engine = new AlertEngine({
    reader,
    now: () => clock.now,
    historySize: options.historySize,
    log: options.log ??
      createLogger("debug", { sink: (line) => logs.push(line) }),
  });
  const seen: string[] = [];
  const transitions: AlertTransition[] = [];
  engine.onTransition((transition) => {
    transitions.push(transition);
    seen.push(describe(transition));
  });
  if (rules.length > 0) engine.setRules(rules);
  const take = () => seen.splice(0);
  return {
    engine,
    reader,
    clock,
    seen,
    transitions,
    logs,
    take,
    advance(ms) {
      clock.now += ms;
      const before = seen.length;
      engine.tick();
      return seen.slice(before);
    },
  };
}
