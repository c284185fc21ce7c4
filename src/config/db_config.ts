/**
 * Loader for SONiC's `database_config.json` (the map from database names to
 * Redis instances and numbers), as described in sonic_port_sync.md §1.
 *
 * A leading UTF-8 BOM is accepted. A syntax error is one line,
 * `FILE:LINE:COLUMN: invalid JSON: what`, that never echoes the input.
 * @module
 */

import { z } from "zod";
import {
  capProblems,
  ConfigError,
  describeIssues,
  formatKeyPath,
  quoteValue,
} from "./errors.ts";
import { locateJsonError } from "./json_syntax.ts";
import { MAX_CONFIG_BYTES, readConfigText, stripBom } from "./text.ts";

/** Where SONiC keeps the file on a switch. */
export const DEFAULT_DB_CONFIG_PATH =
  "/var/run/redis/sonic-db/database_config.json";

const instanceSchema = z.strictObject({
  hostname: z.string().min(1, "must be a non-empty host name"),
  port: z.number().int().min(1).max(65535),
  unix_socket_path: z.string().min(1).optional(),
  persistence_for_warm_boot: z.string().optional(),
  database_type: z.string().optional(),
});

const databaseSchema = z.strictObject({
  id: z.number().int().min(0).max(255),
  separator: z.enum([":", "|"], { message: 'must be ":" or "|"' }),
  instance: z.string().min(1),
});

const fileSchema = z.strictObject({
  INSTANCES: z.record(z.string(), instanceSchema),
  DATABASES: z.record(z.string(), databaseSchema),
  VERSION: z.string().optional(),
});

/** One Redis server from the INSTANCES section. */
export interface RedisInstance {
  /** Instance name, e.g. `redis`. */
  name: string;
  /** TCP host. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Unix socket path; preferred over TCP when present. */
  unixSocketPath: string | null;
}

/** One database from the DATABASES section, joined with its instance. */
export interface DatabaseInfo {
  /** Database name, e.g. `APPL_DB`. */
  name: string;
  /** Redis database number. */
  id: number;
  /** Table/key separator. */
  separator: ":" | "|";
  /** The Redis server holding it. */
  instance: RedisInstance;
}

/** The whole file, validated and joined. */
export interface DbConfig {
  /** The file it came from (for messages). */
  source: string;
  /** Databases by name. */
  databases: Map<string, DatabaseInfo>;
}

/**
 * Validates parsed database_config.json data; `source` names it in errors.
 *
 * @example
 * ```ts
 * declare const text: string; // the file's contents
 * const config = parseDbConfig(JSON.parse(text), { source: "database_config.json" });
 * config.databases.get("APPL_DB")?.id; // 0
 * ```
 */
export function parseDbConfig(
  data: unknown,
  options: { source: string },
): DbConfig {
  const { source } = options;
  const result = fileSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(describeIssues(source, result.error.issues));
  }
  const instances = new Map<string, RedisInstance>();
  for (const [name, raw] of Object.entries(result.data.INSTANCES)) {
    instances.set(name, {
      name,
      hostname: raw.hostname,
      port: raw.port,
      unixSocketPath: raw.unix_socket_path ?? null,
    });
  }
  const problems: string[] = [];
  const databases = new Map<string, DatabaseInfo>();
  for (const [name, raw] of Object.entries(result.data.DATABASES)) {
    const instance = instances.get(raw.instance);
    if (instance === undefined) {
      const where = formatKeyPath(["DATABASES", name, "instance"]);
      problems.push(
        `${source}: ${where}: unknown instance ${quoteValue(raw.instance)}`,
      );
      continue;
    }
    databases.set(name, {
      name,
      id: raw.id,
      separator: raw.separator,
      instance,
    });
  }
  if (problems.length > 0) throw new ConfigError(capProblems(source, problems));
  return { source, databases };
}

/**
 * Parses and validates database_config.json text (a leading BOM is
 * dropped); `source` names it in errors.
 *
 * @example
 * ```ts
 * const text = '{"INSTANCES": {}, "DATABASES": {}}';
 * parseDbConfigText(text, { source: "db.json" }).databases.size; // 0
 * ```
 */
export function parseDbConfigText(
  text: string,
  options: { source: string },
): DbConfig {
  const { source } = options;
  if (text.length > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      `${source}: too large (${text.length} characters; at most ${MAX_CONFIG_BYTES})`,
    ]);
  }
  const json = stripBom(text);
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    const error = locateJsonError(json);
    throw new ConfigError([
      error === null
        ? `${source}: invalid JSON`
        : `${source}:${error.line}:${error.column}: invalid JSON: ${error.reason}`,
    ]);
  }
  return parseDbConfig(data, { source });
}

/**
 * Reads and validates a database_config.json file.
 *
 * @example
 * ```ts
 * const config = await loadDbConfig("/var/run/redis/sonic-db/database_config.json");
 * ```
 */
export async function loadDbConfig(path: string): Promise<DbConfig> {
  const text = await readConfigText(path);
  return parseDbConfigText(text, { source: path });
}

/** Where a database lives: its server and number. */
function location(info: DatabaseInfo): string {
  const { instance } = info;
  const server = instance.unixSocketPath !== null
    ? `unix:${instance.unixSocketPath}`
    : `tcp:${instance.hostname}:${instance.port}`;
  return `${server}/${info.id}`;
}

/**
 * Returns the named databases, or throws one line per missing name and per
 * name that shares its server and number with an earlier one (port sync
 * would write STATE_DB's hashes into APPL_DB).
 *
 * @example
 * ```ts
 * declare const config: DbConfig;
 * const [appl, state] = requireDatabases(config, ["APPL_DB", "STATE_DB"]);
 * ```
 */
export function requireDatabases(
  config: DbConfig,
  names: string[],
): DatabaseInfo[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const info = config.databases.get(name);
    if (info === undefined) {
      problems.push(
        `${config.source}: ${formatKeyPath(["DATABASES", name])}: missing`,
      );
      continue;
    }
    const where = location(info);
    const other = seen.get(where);
    if (other !== undefined) {
      problems.push(
        `${config.source}: ${formatKeyPath(["DATABASES", name, "id"])}: ` +
          `${info.id} on instance ${quoteValue(info.instance.name)} is ` +
          `${other}'s database too; each needs its own`,
      );
    } else {
      seen.set(where, name);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return names.map((name) => config.databases.get(name)!);
}
