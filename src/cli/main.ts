/**
 * The command line's body, loaded by `main.ts` once the process's signal
 * handling is in place: parse, then check the configuration, monitor, or run
 * the daemon; every failure is one line and an exit code.
 * @module
 */

import { CliExit, type CliOptions, parseCommandLine } from "./args.ts";
import { loadSettings, summarizeSettings } from "../config/settings.ts";
import { permissionProblem } from "./permission.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { DaemonError } from "../daemon/errors.ts";
import type { ProcessSignals } from "../daemon/signals.ts";
import { createLogger } from "../log/mod.ts";
import { netnsProblem, NotNetnsError } from "../netlink/netns.ts";
import { StoreError } from "../store/types.ts";
import { SyscallError } from "../../ffi/errno.ts";

/** What {@linkcode main} runs with. */
export interface MainOptions {
  /** The process's signal handling, installed by `main.ts`. */
  signals: ProcessSignals;
}

/** `--monitor` watches the configured namespace; it needs no database map. */
async function monitor(cli: CliOptions, signal: AbortSignal): Promise<number> {
  const config = await loadConfig(cli.config, {
    optional: !cli.configExplicit,
  });
  const { namespace, receive_buffer_bytes } = config.netlink;
  // The same check, and the same line, as --check-config.
  const problem = netnsProblem(namespace);
  if (problem !== null) {
    throw new ConfigError([`${cli.config}: netlink.namespace: ${problem}`]);
  }
  const { runMonitor } = await import("../netlink/monitor.ts");
  await runMonitor({
    signal,
    netns: namespace === "" ? undefined : namespace,
    receiveBufferBytes: receive_buffer_bytes,
  });
  return 0;
}

async function run(cli: CliOptions, signals: ProcessSignals): Promise<number> {
  if (cli.monitor) return await monitor(cli, signals.signal);
  const settings = await loadSettings(cli);
  if (cli.checkConfig) {
    console.log(summarizeSettings(settings, { store: cli.store }));
    return 0;
  }
  // Each mode loads only its own modules: the daemon never holds --status's
  // code, and --check-config loads neither (memory: BENCHMARKS.md).
  if (cli.status) {
    const { runStatus } = await import("./status.ts");
    return await runStatus(settings, {
      json: cli.json,
      signal: signals.signal,
    });
  }
  const log = createLogger(settings.config.log.level);
  signals.setLog(log);
  const { runDaemon } = await import("../daemon/mod.ts");
  return await runDaemon(settings, {
    store: cli.store,
    log,
    signal: signals.signal,
    reload: { source: cli, signals },
  });
}

/** The one line (or lines, for configuration problems) a failure prints, or null. */
export function describeFailure(error: unknown): string[] | null {
  if (error instanceof ConfigError) return error.problems;
  const permission = permissionProblem(error);
  if (permission !== null) return [permission];
  if (
    error instanceof StoreError || error instanceof SyscallError ||
    error instanceof DaemonError || error instanceof NotNetnsError
  ) {
    return [`portsyncd: ${error.message}`];
  }
  return null;
}

/**
 * Runs portsyncd with the arguments after the program name; resolves with
 * the exit code (0 success, 1 failure, 2 usage).
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * import { installProcessSignals } from "../daemon/signals.ts";
 * Deno.exit(await main(Deno.args, { signals: installProcessSignals() }));
 * ```
 */
export async function main(
  args: string[],
  options: MainOptions,
): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCommandLine(args);
  } catch (error) {
    if (!(error instanceof CliExit)) throw error;
    (error.exitCode === 0 ? console.log : console.error)(error.message);
    return error.exitCode;
  }
  try {
    return await run(cli, options.signals);
  } catch (error) {
    const lines = describeFailure(error);
    if (lines === null) throw error;
    for (const line of lines) console.error(line);
    return 1;
  }
}
