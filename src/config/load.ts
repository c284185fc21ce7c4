/**
 * Loading and validating the TOML configuration file.
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { type Config, validateConfig } from "./schema.ts";
import { ConfigError, readConfigText } from "./errors.ts";

/** Where SONiC packages put the file. */
export const DEFAULT_CONFIG_PATH = "/etc/sonic/portsyncd.conf";

/**
 * Validates TOML text; `source` names it in errors.
 *
 * @example
 * ```ts
 * const config = parseConfig("[log]\nlevel = \"debug\"\n", { source: "inline" });
 * config.log.level; // "debug"
 * ```
 */
export function parseConfig(text: string, options: { source: string }): Config {
  const { source } = options;
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split("\n")[0];
      throw new ConfigError([
        `${source}:${error.line}:${error.column}: invalid TOML: ${reason}`,
      ]);
    }
    throw error;
  }
  return validateConfig(data, { source });
}

/** Every default, as used when no file exists. */
export function defaultConfig(): Config {
  return validateConfig({}, { source: "defaults" });
}

/**
 * Reads and validates the configuration file. A missing file is an error
 * unless `optional` is set (the default path may be absent: all defaults).
 *
 * @example
 * ```ts
 * const config = await loadConfig("/etc/sonic/portsyncd.conf", { optional: true });
 * ```
 */
export async function loadConfig(
  path: string,
  options: { optional?: boolean } = {},
): Promise<Config> {
  if (options.optional) {
    try {
      await Deno.stat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return defaultConfig();
      throw error;
    }
  }
  const text = await readConfigText(path);
  return parseConfig(text, { source: path });
}
