/**
 * SIGHUP: re-reads the configuration file with the same `loadSettings` as
 * start-up and applies what can change while running: the log level and
 * destination, and the file's alert rules. Settings that need a restart
 * (namespace, store, lock dir, metrics listener, ...) keep their old value
 * and are named in one line; an invalid file is one line (its first
 * problem and how many more) and changes nothing.
 * @module
 */

import { ConfigError } from "../config/errors.ts";
import type { Config } from "../config/schema.ts";
import {
  loadSettings,
  type Settings,
  type SettingsSource,
} from "../config/settings.ts";
import type { AlertRule } from "../alerting/types.ts";
import type { ControlledLogger } from "../log/mod.ts";
import { openLogOutput } from "../log/syslog.ts";
import type { LogLevelControl } from "./log_level.ts";

/** Settings applied while running; every other one needs a restart. */
export const LIVE_SETTINGS: readonly string[] = [
  "log.level",
  "log.destination",
  "log.syslog_socket",
  "alerting.rules",
];

/** What a reload changes. */
export interface ReloadTargets {
  /** Where the settings come from (the command line). */
  source: SettingsSource;
  /** The logger (its output changes with `[log] destination`). */
  log: ControlledLogger;
  /** The log level's sources. */
  levels: LogLevelControl;
  /** Takes the file's new alert rules. */
  setFileRules(rules: AlertRule[]): void;
}

/** `section.key` of every setting whose value differs. */
export function changedSettings(before: Config, after: Config): string[] {
  const changed: string[] = [];
  for (const section of Object.keys(after) as (keyof Config)[]) {
    const old = before[section] as Record<string, unknown>;
    const next = after[section] as Record<string, unknown>;
    for (const key of Object.keys(next)) {
      if (JSON.stringify(old[key]) !== JSON.stringify(next[key])) {
        changed.push(`${section}.${key}`);
      }
    }
  }
  return changed;
}

/**
 * Copies the live settings of `next` into a copy of `current`: the
 * settings in effect after a reload.
 */
function mergeLive(current: Settings, next: Settings): Settings {
  return {
    ...current,
    config: {
      ...current.config,
      log: next.config.log,
      alerting: {
        ...current.config.alerting,
        rules: next.config.alerting.rules,
      },
    },
    alertRules: next.alertRules,
  };
}

/**
 * Returns the reload to run on SIGHUP; it keeps the settings in effect
 * between calls, and overlapping calls run one after the other.
 *
 * @example
 * ```ts ignore
 * signals.setReload(createReloader(settings, { source, log, levels, setFileRules }));
 * ```
 */
export function createReloader(
  settings: Settings,
  targets: ReloadTargets,
): () => Promise<void> {
  let current = settings;
  let running: Promise<void> = Promise.resolve();
  async function reload(): Promise<void> {
    const { log, source } = targets;
    let next: Settings;
    try {
      next = await loadSettings(source);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const [first, ...rest] = error.problems;
      const more = rest.length === 0
        ? ""
        : ` (and ${rest.length} more problem${rest.length === 1 ? "" : "s"})`;
      log.error(
        `configuration reload failed, keeping the old configuration: ${first}${more}`,
      );
      return;
    }
    const changed = changedSettings(current.config, next.config);
    const live = changed.filter((key) => LIVE_SETTINGS.includes(key));
    const restart = changed.filter((key) => !LIVE_SETTINGS.includes(key));
    const logChanged = live.some((key) =>
      key === "log.destination" || key === "log.syslog_socket"
    );
    if (logChanged) log.setOutput(openLogOutput(next.config.log));
    targets.levels.setBase(next.config.log.level);
    if (live.includes("alerting.rules")) targets.setFileRules(next.alertRules);
    current = mergeLive(current, next);
    log.notice(`configuration reloaded from ${source.config}`, {
      changed: live.length === 0 ? "nothing" : live.join(","),
    });
    if (restart.length > 0) {
      log.warn(
        `configuration reload: ${
          restart.join(", ")
        } changed but needs a restart; the old value is kept`,
      );
    }
  }
  return () => {
    running = running.then(reload, reload);
    return running;
  };
}
