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
import { loadConfig } from "./src/config/load.ts";
import { DaemonError, runDaemon } from "./src/daemon/mod.ts";
import { createLogger } from "./src/log/mod.ts";
import { runMonitor } from "./src/netlink/monitor.ts";
import { StoreError } from "./src/store/types.ts";
import { SyscallError } from "./ffi/errno.ts";

/** `--monitor` watches the configured namespace; it needs no database map. */
async function monitor(cli: CliOptions): Promise<number> {
  const config = await loadConfig(cli.config, {
    optional: !cli.configExplicit,
  });
  const { namespace, receive_buffer_bytes } = config.netlink;
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    await runMonitor({
      signal: controller.signal,
      netns: namespace === "" ? undefined : namespace,
      receiveBufferBytes: receive_buffer_bytes,
    });
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  return 0;
}

async function run(cli: CliOptions): Promise<number> {
  if (cli.monitor) return await monitor(cli);
  const settings = await loadSettings(cli);
  if (cli.checkConfig) {
    console.log(summarizeSettings(settings, { store: cli.store }));
    return 0;
  }
  const log = createLogger(settings.config.log.level);
  return await runDaemon(settings, { store: cli.store, log });
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
    if (
      error instanceof StoreError || error instanceof SyscallError ||
      error instanceof DaemonError
    ) {
      console.error(`portsyncd: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
