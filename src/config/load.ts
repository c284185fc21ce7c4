/**
 * Loading and validating the TOML configuration file.
 *
 * A leading UTF-8 BOM is accepted (the TOML parser drops one). A syntax error is one line,
 * `FILE:LINE:COLUMN: invalid TOML: what`, without the parser's excerpt of
 * the file.
 * @module
 */

import { parse, TomlError } from "smol-toml";
import { type Config, validateConfig } from "./schema.ts";
import { ConfigError } from "./errors.ts";
import { MAX_CONFIG_BYTES, readConfigText } from "./text.ts";

/** Where SONiC packages put the file. */
export const DEFAULT_CONFIG_PATH = "/etc/sonic/portsyncd.conf";

const TOML_PREFIX = "Invalid TOML document: ";

/** The parser's reason, without its prefix and its excerpt of the file. */
function tomlReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split("\n")[0];
  return first.startsWith(TOML_PREFIX)
    ? first.slice(TOML_PREFIX.length)
    : first;
}

/**
 * Validates TOML text (a leading BOM is accepted); `source` names it in
 * errors.
 *
 * @example
 * ```ts
 * const config = parseConfig("[log]\nlevel = \"debug\"\n", { source: "inline" });
 * config.log.level; // "debug"
 * ```
 */
export function parseConfig(text: string, options: { source: string }): Config {
  const { source } = options;
  if (text.length > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      `${source}: too large (${text.length} characters; at most ${MAX_CONFIG_BYTES})`,
    ]);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    const where = error instanceof TomlError
      ? `${source}:${error.line}:${error.column}`
      : source;
    throw new ConfigError([`${where}: invalid TOML: ${tomlReason(error)}`]);
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
 * Every failure is a `ConfigError` of one-line problems.
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
      // Anything else (permissions, a bad path) is reported by the read.
    }
  }
  const text = await readConfigText(path);
  return parseConfig(text, { source: path });
}
