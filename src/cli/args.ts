/**
 * The command line, parsed with commander.
 * @module
 */

import { Command, CommanderError, Option } from "commander";
import { DEFAULT_CONFIG_PATH } from "../config/load.ts";
import { DEFAULT_DB_CONFIG_PATH } from "../config/db_config.ts";
import { LOG_LEVELS } from "../log/levels.ts";

import { VERSION } from "../version.ts";
import type { SettingsSource } from "../config/settings.ts";

export { VERSION };

/** What the command line asked for. */
export interface CliOptions extends SettingsSource {
  /** Validate the configuration and exit. */
  checkConfig: boolean;
  /** Print link messages as JSON lines instead of syncing. */
  monitor: boolean;
  /** Print the health report, ports and alerts from the databases, then exit. */
  status: boolean;
  /** With `status`: one JSON object instead of tables. */
  json: boolean;
}

/**
 * The command line ended without options to run: help or version was printed
 * (`exitCode` 0) or the usage was wrong (`exitCode` 2, message on stderr).
 */
export class CliExit extends Error {
  /** Process exit code. */
  readonly exitCode: number;
  /** Creates the exit with its code. */
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = "CliExit";
    this.exitCode = exitCode;
  }
}

function buildProgram(write: (text: string) => void): Command {
  return new Command("portsyncd")
    .description(
      "Synchronises kernel port state into SONiC's APPL_DB and STATE_DB.",
    )
    .version(VERSION, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print this help and exit")
    .option(
      "-c, --config <file>",
      "TOML configuration file (a missing default file means all defaults)",
    )
    .option("-d, --db-config <file>", "SONiC database_config.json")
    .addOption(
      new Option("-s, --store <kind>", "backend the daemon writes through")
        .choices(["redis", "memory"]).default("redis"),
    )
    .addOption(
      new Option("-l, --log-level <level>", "log level (overrides the file)")
        .choices([...LOG_LEVELS]),
    )
    .option(
      "--check-config",
      "validate the configuration and database_config.json, then exit",
    )
    .option(
      "--monitor",
      "print every link message as a JSON line (touches no database)",
    )
    .addOption(
      new Option(
        "--status",
        "print the health report, ports and alerts from the databases, then exit",
      ).conflicts(["checkConfig", "monitor"]),
    )
    .option("--json", "with --status: print one JSON object")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: write });
}

/**
 * Parses the arguments after the program name.
 *
 * @example
 * ```ts
 * const options = parseCommandLine(["--store", "memory", "--check-config"]);
 * options.store; // "memory"
 * ```
 */
export function parseCommandLine(args: string[]): CliOptions {
  let output = "";
  const program = buildProgram((text) => output += text);
  try {
    program.parse(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const ok = error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help";
    throw new CliExit(output.trimEnd() || error.message, ok ? 0 : 2);
  }
  const raw = program.opts();
  if (raw.json === true && raw.status !== true) {
    throw new CliExit("error: option '--json' needs '--status'", 2);
  }
  if (raw.status === true && raw.store === "memory") {
    throw new CliExit(
      "error: option '--status' reads Redis; it cannot be used with '--store memory'",
      2,
    );
  }
  return {
    config: raw.config ?? DEFAULT_CONFIG_PATH,
    configExplicit: raw.config !== undefined,
    dbConfig: raw.dbConfig ?? DEFAULT_DB_CONFIG_PATH,
    dbConfigExplicit: raw.dbConfig !== undefined,
    store: raw.store,
    logLevel: raw.logLevel ?? null,
    checkConfig: raw.checkConfig === true,
    monitor: raw.monitor === true,
    status: raw.status === true,
    json: raw.json === true,
  };
}
