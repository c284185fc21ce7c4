/**
 * portsyncd: keeps SONiC's APPL_DB and STATE_DB true to the kernel's ports.
 *
 * ```sh
 * portsyncd [--config FILE] [--db-config FILE] [--store redis|memory]
 *           [--log-level LEVEL] [--check-config] [--monitor] [--version] [--help]
 * ```
 *
 * Exit codes: 0 success, 1 configuration or runtime failure, 2 usage error.
 * @module
 */

import { CliExit, type CliOptions, parseCommandLine } from "./src/cli/args.ts";
import { loadSettings, summarizeSettings } from "./src/cli/settings.ts";
import { ConfigError } from "./src/config/errors.ts";

async function run(cli: CliOptions): Promise<number> {
  const settings = await loadSettings(cli);
  if (cli.checkConfig) {
    console.log(summarizeSettings(settings, { store: cli.store }));
    return 0;
  }
  console.error("portsyncd: the daemon loop is not part of this build yet");
  return 1;
}

async function main(args: string[]): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCommandLine(args);
  } catch (error) {
    if (!(error instanceof CliExit)) throw error;
    (error.exitCode === 0 ? console.log : console.error)(error.message);
    return error.exitCode;
  }
  try {
    return await run(cli);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(problem);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
