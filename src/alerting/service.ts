/**
 * Alerting in the daemon: the pure `AlertEngine` reading the metric
 * registry, fed with the config file's rules and CONFIG_DB's
 * (`PORTSYNCD_ALERT_RULE|<id>`, followed live) and suppressions
 * (`PORTSYNCD_ALERT_SUPPRESS|<rule>[|<port>]`); its transitions go to
 * APPL_DB (`PORTSYNCD_ALERT_TABLE`), to Alertmanager when configured, to the
 * log (once each) and to `portsyncd_alert_firing` on /metrics.
 *
 * Evaluation: after every handled batch, the rules of the metrics that
 * events change; every second (and at each time-based deadline), `tick`
 * and all rules, for metrics that change without events (health score,
 * memory) and for `for` / `keep_firing_for` / suppression expiry.
 * @module
 */

import type { Config } from "../config/schema.ts";
import type { DatabaseInfo } from "../config/db_config.ts";
import type { Logger } from "../log/mod.ts";
import type { MetricRegistry } from "../metrics/registry.ts";
import type { Store } from "../store/types.ts";
import type { SyncObserver } from "../sync/observer.ts";
import { AlertmanagerSender } from "./alertmanager.ts";
import { followConfigTables, type TableContents } from "./config_follower.ts";
import { AlertEngine } from "./engine.ts";
import { AlertPublisher } from "./publisher.ts";
import { parseRuleHash, RuleError } from "./rules.ts";
import { parseSuppressions, SUPPRESS_TABLE } from "./suppressions.ts";
import type { AlertRule, AlertTransition } from "./types.ts";

/** The CONFIG_DB table of live rules. */
export const RULE_TABLE = "PORTSYNCD_ALERT_RULE";

/**
 * Metrics that change when link messages are handled, evaluated after every
 * batch. Windowed values (latency percentiles, events per second) change
 * with time alone and cost a few µs to read: they wait for the 1 s timer.
 */
export const EVENT_METRICS: readonly string[] = [
  "events_total",
  "batches_total",
  "ports_oper_up",
  "ports_oper_down",
  "port_oper_up",
  "port_oper_down",
  "port_flaps",
  "port_flaps_per_minute",
  "state_writes_total",
  "ignored_messages_total",
  "latency_count",
  "queue_depth",
  "port_init_done",
];

/** What the alerting service works with. */
export interface AlertingOptions {
  /** `[alerting]`. */
  config: Config["alerting"];
  /** The config file's rules, validated. */
  fileRules: AlertRule[];
  /** The metric registry (rules read it; `alert_firing` is added to it). */
  registry: MetricRegistry;
  /** The store: APPL_DB for publishing, CONFIG_DB for rules. */
  store: Store;
  /** Where CONFIG_DB lives (for its keyspace notifications); null: file rules only. */
  configDb: DatabaseInfo | null;
  /** Logger. */
  log: Logger;
}

/** The running service. */
export interface Alerting {
  /** The engine (for tests and `--status`-like views). */
  readonly engine: AlertEngine;
  /** The engine observer to register with `PortSync.observe`. */
  readonly observer: SyncObserver;
  /** Replaces the config file's rules (SIGHUP reload); CONFIG_DB's still win. */
  setFileRules(rules: AlertRule[]): void;
  /** Stops timers, following and sending (alerts in APPL_DB stay). */
  close(): Promise<void>;
}

/**
 * Starts alerting: reads CONFIG_DB's rules, suppressions and hostname (so
 * call it once Redis answers, after start-up), then evaluates.
 *
 * @example
 * ```ts ignore
 * const alerting = await startAlerting({ config, fileRules, registry, store, configDb, log });
 * sync.observe(alerting.observer);
 * ```
 */
export async function startAlerting(
  options: AlertingOptions,
): Promise<Alerting> {
  const { config, registry, store, log } = options;
  const engine = new AlertEngine({
    reader: registry,
    historySize: config.history_size,
    log,
  });
  registry.seriesGauge({
    name: "portsyncd_alert_firing",
    rule: "alert_firing",
    labels: ["rule", "severity", "port"],
    help:
      "1 for each firing alert (port empty for a rule on a switch-wide metric).",
  }, () =>
    engine.active().filter((alert) => alert.state === "firing").map((
      alert,
    ) => ({
      labels: {
        rule: alert.ruleId,
        severity: alert.severity,
        port: alert.port ?? "",
      },
      value: 1,
    })));
  const publisher = new AlertPublisher(store.db("APPL_DB"), { log });
  engine.onTransition(publisher.listener);
  engine.onTransition((transition) => logTransition(log, transition));
  let sender: AlertmanagerSender | null = null;
  if (config.alertmanager_url !== "") {
    sender = new AlertmanagerSender({
      url: config.alertmanager_url,
      instance: await hostname(store),
      resendMs: config.alertmanager_resend_ms,
      log,
    });
    engine.onTransition(sender.listener);
  }
  const rules = new LiveRules(engine, {
    file: options.fileRules,
    log,
    metrics: registry,
  });
  const follower = options.configDb === null ? null : await followConfigTables({
    config: store.db("CONFIG_DB"),
    tables: [RULE_TABLE, SUPPRESS_TABLE],
    onChange: (contents) => rules.update(contents),
    log,
  });
  if (follower === null) rules.update(new Map());
  const timer = new TickTimer(engine);
  timer.arm();
  return {
    engine,
    observer: {
      batchHandled() {
        engine.evaluate(EVENT_METRICS);
        timer.arm();
      },
      storeReconnected() {
        publisher.reconcile();
        follower?.refresh();
      },
    },
    setFileRules(next) {
      rules.setFile(next);
      timer.arm();
    },
    async close() {
      timer.stop();
      await follower?.close();
      publisher.close();
      await sender?.close();
    },
  };
}

/** Keeps the engine's rules: the file's, overridden by CONFIG_DB's with the same id. */
class LiveRules {
  readonly #engine: AlertEngine;
  #file: AlertRule[];
  /** CONFIG_DB's tables as last read (for {@linkcode setFile}). */
  #last: TableContents = new Map();
  readonly #log: Logger;
  readonly #metrics: { has(metric: string): boolean };
  /** The last problem logged per CONFIG_DB entry (logged once until it changes). */
  readonly #reported = new Map<string, string>();

  constructor(
    engine: AlertEngine,
    options: {
      file: AlertRule[];
      log: Logger;
      metrics: { has(metric: string): boolean };
    },
  ) {
    this.#engine = engine;
    this.#file = options.file;
    this.#log = options.log;
    this.#metrics = options.metrics;
  }

  /** Replaces the file's rules and re-applies CONFIG_DB's last contents. */
  setFile(rules: AlertRule[]): void {
    this.#file = rules;
    this.update(this.#last);
  }

  update(contents: TableContents): void {
    this.#last = contents;
    const live = new Map<string, AlertRule>();
    const seen = new Set<string>();
    for (const [id, fields] of contents.get(RULE_TABLE) ?? []) {
      const where = `${RULE_TABLE}|${id}`;
      seen.add(where);
      try {
        live.set(id, parseRuleHash(id, fields, { metrics: this.#metrics }));
        this.#reported.delete(where);
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
        this.#report(where, error.problems.join("; "));
      }
    }
    const { suppressions, problems } = parseSuppressions(
      contents.get(SUPPRESS_TABLE) ?? new Map(),
    );
    for (const problem of problems) {
      const where = problem.slice(0, problem.indexOf(": "));
      seen.add(where);
      this.#report(where, problem.slice(where.length + 2));
    }
    for (const where of this.#reported.keys()) {
      if (!seen.has(where)) this.#reported.delete(where);
    }
    const rules = this.#file.filter((rule) => !live.has(rule.id));
    rules.push(...live.values());
    this.#engine.setRules(rules);
    this.#engine.setSuppressions(suppressions);
    this.#engine.evaluate();
  }

  #report(where: string, problem: string): void {
    if (this.#reported.get(where) === problem) return;
    this.#reported.set(where, problem);
    this.#log.warn("CONFIG_DB alert entry skipped", { key: where, problem });
  }
}

/** Runs `tick` and a full evaluation every second and at each deadline. */
class TickTimer {
  readonly #engine: AlertEngine;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #at = Infinity;
  #stopped = false;

  constructor(engine: AlertEngine) {
    this.#engine = engine;
  }

  /** (Re)arms for the engine's next deadline, at most a second away. */
  arm(): void {
    if (this.#stopped) return;
    const now = Date.now();
    const at = Math.min(this.#engine.nextDeadline() ?? Infinity, now + 1000);
    if (this.#timer !== undefined && this.#at <= at) return;
    clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - now));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#engine.tick();
    this.#engine.evaluate();
    this.arm();
  }
}

/** Logs each transition once (never per evaluation). */
function logTransition(log: Logger, transition: AlertTransition): void {
  const { alert, from, to } = transition;
  if (to === "pending" || (to === null && from === "pending")) {
    log.debug("alert", { key: alert.key, from, to });
    return;
  }
  const fields = {
    key: alert.key,
    severity: alert.severity,
    value: alert.value,
    message: alert.message,
  };
  const text = to === null ? "alert ended" : `alert ${to}`;
  if (to === "firing") log.warn(text, fields);
  else log.info(text, fields);
}

/** CONFIG_DB `DEVICE_METADATA|localhost` `hostname`, else the OS hostname. */
async function hostname(store: Store): Promise<string> {
  const config = store.db("CONFIG_DB");
  try {
    const name = await config.hget(
      `DEVICE_METADATA${config.separator}localhost`,
      "hostname",
    );
    if (name !== null && name !== "") return name;
  } catch {
    // Fall back to the OS hostname below.
  }
  return Deno.hostname();
}
