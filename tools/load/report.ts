/**
 * The load harness's result (the JSON it writes under `bench/results/`),
 * the machine description that goes with it, and the writing of the files.
 * @module
 */

import type { LatencyFigures } from "../latency_probe.ts";
import type { RssSample } from "./proc.ts";
import { type OfferedRate, rateLabel } from "./storm.ts";
import { renderSvg } from "./svg.ts";

/** Latency of a phase: kernel → notification, and request → notification. */
export interface PhaseLatency extends LatencyFigures {
  /** Changes whose RTM_NEWLINK the probe's own socket lost (overflow). */
  lost: number;
  /** From the request's `sendto` returning to the notification. */
  from_request: LatencyFigures;
}

/** CPU used during a phase, ms (utime + stime from /proc/<pid>/stat). */
export interface PhaseCpu {
  daemon: number;
  redis: number;
  total: number;
}

/** One storm at one offered rate. */
export interface StormResult {
  offered_rate: OfferedRate;
  /** Storm lines (each a real change) fed to `ip -batch`. */
  changes: number;
  /** Single changes the latency probe made meanwhile (on its own port). */
  probe_changes: number;
  /** `ip -batch` processes. */
  parallel: number;
  /** Changes per second the kernel took (storm start → last `ip` exited). */
  achieved_rate: number;
  /** Storm start → last `ip` exited, ms. */
  kernel_ms: number;
  /** Storm start → first read of STATE_DB equal to the kernel, ms (null: never). */
  convergence_ms: number | null;
  /**
   * Last `ip` exited → first read of STATE_DB equal to the kernel, ms
   * (polled every 10 ms; null: never).
   */
  settle_ms: number | null;
  /** STATE_DB reads until it equalled the kernel. */
  convergence_polls: number;
  /** STATE_DB equal to the kernel at the end (must be true). */
  state_equal: boolean;
  mismatched_ports: number;
  mismatches: string[];
  /** STATE_DB port writes the daemon made (`portsyncd_state_writes_total`). */
  port_writes: number;
  /** Link messages the daemon handled (`portsyncd_events_total`). */
  link_messages: number;
  /** Batches it read them in, one STATE_DB round trip each at most (`portsyncd_batches_total`). */
  batches: number;
  /** Increase of the daemon's `portsyncd_netlink_overflows_total`. */
  overflows: number;
  /** Its "netlink overflow" log lines during the storm. */
  overflow_log_lines: number;
  cpu_ms: PhaseCpu;
  rss_mib: { start: number; peak: number; end: number };
  latency: PhaseLatency;
  /** Storm start and the final check, ms since the run's origin. */
  start_ms: number;
  end_ms: number;
}

/** Where the figures were taken. */
export interface Machine {
  cpu: string;
  cores: number;
  memory_mib: number;
  kernel: string;
  deno: string;
  v8: string;
  redis: string;
  commit: string;
  /** The work tree had uncommitted changes. */
  dirty: boolean;
  /** /proc/loadavg at the start (the machine is shared). */
  loadavg_start: string;
  note: string;
}

/** Everything one run measured. */
export interface LoadResult {
  schema: 1;
  date: string;
  command: string;
  machine: Machine;
  options: {
    ports: number;
    changes: number;
    rates: OfferedRate[];
    storm_changes: number;
    rules: number;
    parallel: number;
    /** `admin+mtu` (half and half) or `admin` (flips only). */
    storm_kind: "admin" | "admin+mtu";
    v8_flags: string | null;
    /** The daemon's `[netlink] coalesce_us`, null for its default. */
    coalesce_us: number | null;
  };
  setup: {
    ports: number;
    veth_pairs: number;
    rules: number;
    /** Daemon spawned → PortInitDone, ms. */
    ready_ms: number;
    rss_ready_mib: number;
  };
  /** Single changes with nothing else going on. */
  idle: {
    latency: PhaseLatency;
    cpu_ms: PhaseCpu;
    rss_mib: number;
    /** CPU over a window with no change at all (timers, verify, health). */
    quiet: { window_ms: number; cpu_ms: PhaseCpu };
  };
  storms: StormResult[];
  rss_samples: RssSample[];
  daemon: {
    exit_code: number;
    stop_ms: number;
    overflows_total: number;
    events_total: number;
  };
  /** True when every storm ended with STATE_DB equal to the kernel. */
  ok: boolean;
  failures: string[];
}

async function text(command: string, args: string[]): Promise<string> {
  try {
    const output = await new Deno.Command(command, {
      args,
      stdout: "piped",
      stderr: "null",
    }).output();
    return output.success ? new TextDecoder().decode(output.stdout).trim() : "";
  } catch {
    return "";
  }
}

/**
 * Describes this machine and checkout; `redisVersion` comes from the
 * server's INFO.
 */
export async function describeMachine(redisVersion: string): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const root = new URL("../../", import.meta.url).pathname;
  const commit = await text("git", [
    "-C",
    root,
    "rev-parse",
    "--short",
    "HEAD",
  ]);
  const status = await text("git", ["-C", root, "status", "--porcelain"]);
  return {
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memory_mib: Math.round(
      Number(meminfo.match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 1024,
    ),
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    redis: redisVersion,
    commit: commit || "unknown",
    dirty: status !== "",
    loadavg_start: (await Deno.readTextFile("/proc/loadavg").catch(() => ""))
      .trim(),
    note: "shared machine: other engineers' tests and benchmarks may run",
  };
}

/** The files one run wrote. */
export interface WrittenFiles {
  json: string;
  latestJson: string;
  latestSvg: string;
}

/**
 * Writes `load-<date>.json`, `latest.json` and `latest.svg` in `dir`
 * (created when missing).
 */
export async function writeResult(
  result: LoadResult,
  dir: string,
): Promise<WrittenFiles> {
  await Deno.mkdir(dir, { recursive: true });
  const stamp = result.date.replace(/[:.]/g, "-");
  const body = JSON.stringify(result, null, 2) + "\n";
  const files: WrittenFiles = {
    json: `${dir}/load-${stamp}.json`,
    latestJson: `${dir}/latest.json`,
    latestSvg: `${dir}/latest.svg`,
  };
  await Deno.writeTextFile(files.json, body);
  await Deno.writeTextFile(files.latestJson, body);
  await Deno.writeTextFile(files.latestSvg, renderSvg(result));
  return files;
}

/** One line per phase, for the console. */
export function summaryLines(result: LoadResult): string[] {
  const lat = (l: PhaseLatency) =>
    `p50 ${l.from_request.p50_us} p95 ${l.from_request.p95_us} ` +
    `p99 ${l.from_request.p99_us} max ${l.from_request.max_us} µs ` +
    `(probe socket p50 ${l.p50_us} p99 ${l.p99_us}; n=${l.samples})`;
  const { setup, idle } = result;
  const lines = [
    `setup: ${setup.ports} ports, ${setup.rules} rules, ready in ${setup.ready_ms} ms, RSS ${setup.rss_ready_mib} MiB`,
    `idle: latency ${lat(idle.latency)}; CPU ${idle.quiet.cpu_ms.daemon} ms ` +
    `daemon + ${idle.quiet.cpu_ms.redis} ms redis over ${idle.quiet.window_ms} ms quiet`,
  ];
  for (const storm of result.storms) {
    lines.push(
      `storm ${rateLabel(storm.offered_rate)}: ${storm.changes} changes at ` +
        `${storm.achieved_rate}/s, converged ${
          storm.convergence_ms ?? "never"
        } ms ` +
        `(settle ${storm.settle_ms ?? "-"} ms), equal=${storm.state_equal}, ` +
        `CPU daemon ${storm.cpu_ms.daemon} + redis ${storm.cpu_ms.redis} ms, ` +
        `RSS peak ${storm.rss_mib.peak} MiB, overflows ${storm.overflows}, ` +
        `writes ${storm.port_writes} for ${storm.link_messages} messages in ${storm.batches} batches, ` +
        `latency ${lat(storm.latency)}`,
    );
  }
  return lines;
}
