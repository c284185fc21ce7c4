/**
 * `deno task load` (as root): the load harness. It builds a private network
 * namespace with `--ports` veth ports, a throw-away redis-server, CONFIG_DB
 * entries and `--rules` alert rules, starts the real daemon, and measures
 *
 * - single-change latency (kernel RTM_NEWLINK → STATE_DB keyspace
 *   notification, changes made with netlink requests) at rest and during
 *   each storm;
 * - storms at each `--rates` offered rate from parallel `ip -batch`: CPU of
 *   the daemon and of Redis, the daemon's RSS, overflows, time to
 *   convergence, and whether STATE_DB ended equal to the kernel (it must:
 *   the exit code is 1 when it did not).
 *
 * It writes `load-<date>.json`, `latest.json` and `latest.svg` under
 * `bench/results/` (or `--out`). `--plot FILE` redraws an SVG from a JSON.
 *
 * ```sh
 * deno task load --ports 128
 * deno task load --quick
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { netnsSkipReason } from "../../tests/helpers/netns.ts";
import { REDIS_AVAILABLE } from "../../tests/helpers/redis_server.ts";
import type { LoadResult } from "./report.ts";
import { summaryLines, writeResult } from "./report.ts";
import { type LoadOptions, runLoad } from "./run.ts";
import type { OfferedRate } from "./storm.ts";
import { renderSvg } from "./svg.ts";

const USAGE = `usage: deno task load [--ports N] [--changes N] [--rates LIST]
                      [--storm-changes N] [--rules N] [--parallel N]
                      [--admin-only] [--quick] [--out DIR] [--v8-flags FLAGS]
                      [--coalesce-us N]
       deno task load --plot RESULT.json [--out DIR]

  --ports N           ports, an even number from 4 to 2000 (veth pairs
                      Ethernet0/Ethernet4, ...; the first pair is the
                      latency probe's, the others storm) [128]
  --changes N         single changes measured at rest [1000]
  --rates LIST        offered storm rates, changes/s or max
                      [2000,5000,10000,20000,50000,max]
  --storm-changes N   changes per storm [20000]
  --rules N           alert rules loaded into the daemon (none fire) [50]
  --parallel N        ip -batch processes per storm [4]
  --admin-only        storms flip admin state only (as the C++ comparison's
                      did) instead of admin and MTU changes half and half
  --quick             small and fast (CI): 8 ports, 50 changes, rates
                      5000,max of 2000 changes (other options override)
  --out DIR           where the JSON and SVG go [bench/results]
  --v8-flags FLAGS    passed to the daemon as --v8-flags=FLAGS
  --coalesce-us N     the daemon's [netlink] coalesce_us (its default if unset)
  --plot FILE         redraw DIR/latest.svg from a result JSON and exit`;

/** A command-line problem: one line, exit 2. */
export class UsageError extends Error {}

function whole(
  name: string,
  text: string,
  range: { min: number; max: number },
): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < range.min || value > range.max) {
    throw new UsageError(
      `--${name}: must be a whole number from ${range.min} to ${range.max}, got "${text}"`,
    );
  }
  return value;
}

function rates(text: string): OfferedRate[] {
  const list = text.split(",").map((part) => part.trim());
  return list.map((part) => {
    if (part === "max") return "max";
    if (!/^\d+$/.test(part) || Number(part) < 1 || Number(part) > 10_000_000) {
      throw new UsageError(
        `--rates: "${part}" is not a rate (changes/s from 1 to 10000000, or max)`,
      );
    }
    return Number(part);
  });
}

/** What the command line asks for. */
export type Command =
  | { kind: "run"; options: Omit<LoadOptions, "log">; out: string }
  | { kind: "plot"; file: string; out: string }
  | { kind: "help" };

/**
 * Parses the arguments (throws {@linkcode UsageError}).
 *
 * @example
 * ```ts
 * import { parseCommand } from "./mod.ts";
 * parseCommand(["--quick"]).kind; // "run"
 * ```
 */
export function parseCommand(args: string[]): Command {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        ports: { type: "string" },
        changes: { type: "string" },
        rates: { type: "string" },
        "storm-changes": { type: "string" },
        rules: { type: "string" },
        parallel: { type: "string" },
        "admin-only": { type: "boolean", default: false },
        quick: { type: "boolean", default: false },
        out: { type: "string" },
        "v8-flags": { type: "string" },
        "coalesce-us": { type: "string" },
        plot: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
  if (values.help) return { kind: "help" };
  const out = values.out ??
    new URL("../../bench/results", import.meta.url).pathname;
  if (values.plot !== undefined) {
    return { kind: "plot", file: values.plot, out };
  }
  const quick = values.quick;
  const ports = whole("ports", values.ports ?? (quick ? "8" : "128"), {
    min: 4,
    max: 2000,
  });
  if (ports % 2 !== 0) {
    throw new UsageError(`--ports: must be even (veth pairs), got "${ports}"`);
  }
  return {
    kind: "run",
    out,
    options: {
      ports,
      changes: whole("changes", values.changes ?? (quick ? "50" : "1000"), {
        min: 1,
        max: 1_000_000,
      }),
      rates: rates(
        values.rates ??
          (quick ? "5000,max" : "2000,5000,10000,20000,50000,max"),
      ),
      stormChanges: whole(
        "storm-changes",
        values["storm-changes"] ?? (quick ? "2000" : "20000"),
        { min: 1, max: 10_000_000 },
      ),
      rules: whole("rules", values.rules ?? "50", { min: 0, max: 10_000 }),
      parallel: whole("parallel", values.parallel ?? "4", { min: 1, max: 64 }),
      adminOnly: values["admin-only"],
      probeGapMs: 10,
      quietMs: quick ? 500 : 2000,
      v8Flags: values["v8-flags"] ?? null,
      coalesceUs: values["coalesce-us"] === undefined
        ? null
        : whole("coalesce-us", values["coalesce-us"], { min: 0, max: 10_000 }),
      command: ["deno task load", ...args].join(" "),
    },
  };
}

async function main(): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(Deno.args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`load: ${error.message}`);
    console.error(`run "deno task load --help" for the options`);
    return 2;
  }
  if (command.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (command.kind === "plot") {
    const result = JSON.parse(
      await Deno.readTextFile(command.file),
    ) as LoadResult;
    await Deno.mkdir(command.out, { recursive: true });
    await Deno.writeTextFile(`${command.out}/latest.svg`, renderSvg(result));
    console.log(`load: wrote ${command.out}/latest.svg`);
    return 0;
  }
  const reason = netnsSkipReason() ??
    (REDIS_AVAILABLE ? null : "redis-server and redis-cli are not installed");
  if (reason !== null) {
    console.error(`load: cannot run: ${reason}`);
    return 1;
  }
  const interrupt = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => interrupt.abort();
  for (const name of signals) Deno.addSignalListener(name, onSignal);
  let result: LoadResult;
  try {
    result = await runLoad({
      ...command.options,
      log: (line) => console.error(line),
      signal: interrupt.signal,
    });
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
    console.error(
      "load: interrupted; the namespace, Redis and daemon are removed",
    );
    return 130;
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, onSignal);
  }
  const files = await writeResult(result, command.out);
  for (const line of summaryLines(result)) console.log(line);
  console.log(
    `load: wrote ${files.json}, ${files.latestJson}, ${files.latestSvg}`,
  );
  for (const failure of result.failures) {
    console.error(`load: FAILED: ${failure}`);
  }
  return result.ok ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`load: ${(error as Error).message.split("\n")[0]}`);
    Deno.exit(1);
  }
}
