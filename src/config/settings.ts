/**
 * Everything the daemon needs before it connects: the configuration file and
 * database_config.json, loaded and validated together so that
 * `--check-config` and a real start agree on what is valid.
 * @module
 */

import type { Config } from "./schema.ts";
import { defaultConfig, loadConfig } from "./load.ts";
import {
  type DbConfig,
  loadDbConfig,
  parseDbConfig,
  requireDatabases,
} from "./db_config.ts";
import { ConfigError } from "./errors.ts";
import { netnsProblem } from "../netlink/netns.ts";
import type { LogLevel } from "../log/levels.ts";
import { parseRules, RuleError } from "../alerting/rules.ts";
import type { AlertRule } from "../alerting/types.ts";
import { metricRuleNames } from "../metrics/server.ts";

/**
 * Where the settings come from (the command line gives these): the two
 * files, whether each was named explicitly (a missing explicit file is an
 * error), the store backend and a log level overriding the file's.
 */
export interface SettingsSource {
  /** TOML configuration file. */
  config: string;
  /** True when the file was named (a missing file is then an error). */
  configExplicit: boolean;
  /** SONiC database_config.json. */
  dbConfig: string;
  /** True when the database map was named. */
  dbConfigExplicit: boolean;
  /** Backend the daemon writes through. */
  store: "redis" | "memory";
  /** Overrides the file's `[log] level` when not null. */
  logLevel: LogLevel | null;
}

/** Databases port sync reads and writes. */
export const REQUIRED_DATABASES = ["APPL_DB", "CONFIG_DB", "STATE_DB"];

/** SONiC's standard layout, used by `--store memory` when no file exists. */
export const BUILTIN_DB_CONFIG = {
  INSTANCES: {
    redis: {
      hostname: "127.0.0.1",
      port: 6379,
      unix_socket_path: "/var/run/redis/redis.sock",
    },
  },
  DATABASES: {
    APPL_DB: { id: 0, separator: ":", instance: "redis" },
    CONFIG_DB: { id: 4, separator: "|", instance: "redis" },
    STATE_DB: { id: 6, separator: "|", instance: "redis" },
  },
  VERSION: "1.0",
};

/** The validated inputs of one run. */
export interface Settings {
  /** The configuration, defaults filled in. */
  config: Config;
  /** Where the configuration came from (a path, or a note that it was absent). */
  configSource: string;
  /** The database map. */
  dbConfig: DbConfig;
  /** `[[alerting.rules]]`, validated (names checked against the metrics). */
  alertRules: AlertRule[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function loadDatabases(cli: SettingsSource): Promise<DbConfig> {
  const useBuiltin = cli.store === "memory" && !cli.dbConfigExplicit &&
    !(await exists(cli.dbConfig));
  if (useBuiltin) {
    return parseDbConfig(BUILTIN_DB_CONFIG, {
      source: "built-in database config",
    });
  }
  return await loadDbConfig(cli.dbConfig);
}

/**
 * Loads and validates both files, collecting the problems of both before
 * throwing one `ConfigError` with every line.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "../cli/args.ts";
 * const settings = await loadSettings(parseCommandLine(Deno.args));
 * ```
 */
export async function loadSettings(cli: SettingsSource): Promise<Settings> {
  const problems: string[] = [];
  let config: Config = defaultConfig();
  let configSource = cli.config;
  try {
    const optional = !cli.configExplicit;
    if (optional && !(await exists(cli.config))) {
      configSource = `${cli.config} (absent: defaults)`;
    }
    config = await loadConfig(cli.config, { optional });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // The same check the link socket makes when it opens the namespace.
  const namespaceProblem = netnsProblem(config.netlink.namespace);
  if (namespaceProblem !== null) {
    problems.push(`${cli.config}: netlink.namespace: ${namespaceProblem}`);
  }
  let alertRules: AlertRule[] = [];
  try {
    alertRules = parseRules(config.alerting.rules, {
      metrics: metricRuleNames(),
    });
  } catch (error) {
    if (!(error instanceof RuleError)) throw error;
    for (const problem of error.problems) {
      problems.push(`${cli.config}: alerting.${problem}`);
    }
  }
  let dbConfig: DbConfig | null = null;
  try {
    dbConfig = await loadDatabases(cli);
    requireDatabases(dbConfig, REQUIRED_DATABASES);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || dbConfig === null) {
    throw new ConfigError(problems);
  }
  if (cli.logLevel !== null) config.log.level = cli.logLevel;
  return { config, configSource, dbConfig, alertRules };
}

/**
 * The one-line summary `--check-config` prints on success.
 *
 * @example
 * ```ts
 * declare const settings: Settings;
 * console.log(summarizeSettings(settings, { store: "redis" }));
 * ```
 */
export function summarizeSettings(
  settings: Settings,
  options: { store: "redis" | "memory" },
): string {
  const databases = REQUIRED_DATABASES.map((name) => {
    const info = settings.dbConfig.databases.get(name)!;
    return `${name}=${info.id}`;
  }).join(" ");
  const instance = settings.dbConfig.databases.get("APPL_DB")!.instance;
  const endpoint = instance.unixSocketPath !== null
    ? `unix:${instance.unixSocketPath}`
    : `tcp:${instance.hostname}:${instance.port}`;
  return `portsyncd: configuration OK: config ${settings.configSource}; ` +
    `databases ${settings.dbConfig.source} (${databases} via ${endpoint}); ` +
    `store ${options.store}`;
}
