/**
 * One run of the load harness: the rig, single-change latency at rest,
 * then a storm at each offered rate with the latency probe running on its
 * own port meanwhile; CPU, RSS, overflows, convergence and the STATE_DB
 * check for each. Returns the result; writing it is the caller's.
 * @module
 */

import {
  figures,
  LatencyProbe,
  type LatencySamples,
} from "../latency_probe.ts";
import { cpuMs, rssMiB, RssSampler } from "./proc.ts";
import type {
  LoadResult,
  PhaseCpu,
  PhaseLatency,
  StormResult,
} from "./report.ts";
import { describeMachine } from "./report.ts";
import { type LoadRig, startLoadRig } from "./setup.ts";
import {
  awaitConvergence,
  type OfferedRate,
  runBatches,
  StormLines,
} from "./storm.ts";

/** What to run. */
export interface LoadOptions {
  /** Ports (even, 4 to 2000). */
  ports: number;
  /** Single changes measured at rest. */
  changes: number;
  /** Offered storm rates, in order. */
  rates: OfferedRate[];
  /** Changes per storm. */
  stormChanges: number;
  /** Alert rules loaded into the daemon. */
  rules: number;
  /** Parallel `ip -batch` processes per storm (at most the storm ports). */
  parallel: number;
  /** Storms flip admin state only (else admin and MTU, half and half). */
  adminOnly: boolean;
  /** Gap between the probe's changes during a storm, ms. */
  probeGapMs: number;
  /** Window with no change at all, to measure the daemon's idle CPU, ms. */
  quietMs: number;
  /** `--v8-flags=` for the daemon, or null. */
  v8Flags: string | null;
  /** `[netlink] coalesce_us` for the daemon, or null for its default. */
  coalesceUs?: number | null;
  /** The command line, recorded in the result. */
  command: string;
  /** Progress lines go here (default: nowhere). */
  log?: (line: string) => void;
  /**
   * Aborting removes the rig at once (daemon, namespace, Redis); the run
   * then rejects.
   */
  signal?: AbortSignal;
  /** Called with the rig once it is ready (tests look at what it built). */
  onRig?: (rig: LoadRig) => void;
}

/** The probe's receive buffer: a storm must not overflow its own socket. */
const PROBE_RECEIVE_BUFFER = 64 * 1024 * 1024;

function phaseLatency(samples: LatencySamples): PhaseLatency {
  return {
    ...figures(samples.kernel),
    lost: samples.lost,
    from_request: figures(samples.request),
  };
}

async function cpuNow(
  rig: LoadRig,
): Promise<{ daemon: number; redis: number }> {
  const [daemon, redis] = await Promise.all([
    cpuMs(rig.daemon.pid),
    cpuMs(rig.redisPid),
  ]);
  return { daemon, redis };
}

function cpuSince(
  before: { daemon: number; redis: number },
  after: { daemon: number; redis: number },
): PhaseCpu {
  const daemon = Math.round(after.daemon - before.daemon);
  const redis = Math.round(after.redis - before.redis);
  return { daemon, redis, total: daemon + redis };
}

function countLines(rig: LoadRig, from: number, pattern: RegExp): number {
  return rig.daemon.lines.slice(from).filter((line) => pattern.test(line))
    .length;
}

/**
 * Runs everything and returns the result; the rig is removed before it
 * returns or throws.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? (() => {});
  log(`load: ${options.ports} ports, ${options.rules} rules: building the rig`);
  let spawned: RssSampler | null = null;
  let rig: LoadRig;
  try {
    rig = await startLoadRig({
      ports: options.ports,
      rules: options.rules,
      v8Flags: options.v8Flags,
      coalesceUs: options.coalesceUs ?? null,
      onSpawned: (pids, at) =>
        spawned = new RssSampler(pids, { intervalMs: 100, origin: at }),
    });
  } catch (error) {
    await (spawned as RssSampler | null)?.stop();
    throw error;
  }
  options.onRig?.(rig);
  const origin = rig.spawnedAt;
  const sampler: RssSampler = spawned!;
  const abort = () => rig.close();
  options.signal?.addEventListener("abort", abort, { once: true });
  if (options.signal?.aborted) {
    await sampler.stop();
    await rig.close();
    throw new Error("interrupted");
  }
  let probe: LatencyProbe | null = null;
  try {
    const machine = await describeMachine(rig.redisVersion);
    const rssReady = await rssMiB(rig.daemon.pid);
    log(
      `load: ready in ${rig.readyMs} ms; ${options.changes} single changes at rest`,
    );
    // The probe port and its peer stay out of the storms: a storm flipping
    // the peer would change the probe port's oper state and write it.
    probe = await LatencyProbe.open(rig.ns, {
      socketPath: rig.server.socketPath,
      port: rig.ports[0],
      receiveBufferBytes: PROBE_RECEIVE_BUFFER,
    });
    const idleBefore = await cpuNow(rig);
    const idleSamples = await probe.sample({
      count: options.changes,
      cancel: options.signal,
    });
    const idleAfter = await cpuNow(rig);
    await new Promise((resolve) => setTimeout(resolve, options.quietMs));
    const idle = {
      latency: phaseLatency(idleSamples),
      cpu_ms: cpuSince(idleBefore, idleAfter),
      rss_mib: await rssMiB(rig.daemon.pid),
      quiet: {
        window_ms: options.quietMs,
        cpu_ms: cpuSince(idleAfter, await cpuNow(rig)),
      },
    };
    const stormPorts = rig.ports.slice(2);
    const parallel = Math.min(options.parallel, stormPorts.length);
    const lines = new StormLines(stormPorts, { adminOnly: options.adminOnly });
    const storms: StormResult[] = [];
    for (const rate of options.rates) {
      log(`load: storm at ${rate === "max" ? "max" : `${rate}/s`}`);
      storms.push(
        await storm(rig, {
          probe,
          sampler,
          origin,
          rate,
          groups: lines.next(options.stormChanges, parallel),
          probeGapMs: options.probeGapMs,
          cancel: options.signal,
        }),
      );
    }
    const overflowsTotal = await rig.metric(
      "portsyncd_netlink_overflows_total",
    );
    const eventsTotal = await rig.metric("portsyncd_events_total");
    await probe.close();
    const stopped = await rig.close();
    const failures = storms.filter((s) => !s.state_equal).map((s) =>
      `storm at ${s.offered_rate}: STATE_DB differs from the kernel on ${s.mismatched_ports} port(s): ${
        s.mismatches.join("; ")
      }`
    );
    if (stopped !== null && stopped.code !== 0) {
      failures.push(`the daemon exited ${stopped.code} on SIGTERM`);
    }
    return {
      schema: 1,
      date: new Date().toISOString(),
      command: options.command,
      machine,
      options: {
        ports: options.ports,
        changes: options.changes,
        rates: options.rates,
        storm_changes: options.stormChanges,
        rules: options.rules,
        parallel,
        storm_kind: options.adminOnly ? "admin" : "admin+mtu",
        v8_flags: options.v8Flags,
        coalesce_us: options.coalesceUs ?? null,
      },
      setup: {
        ports: rig.ports.length,
        veth_pairs: rig.ports.length / 2,
        rules: options.rules,
        ready_ms: rig.readyMs,
        rss_ready_mib: rssReady,
      },
      idle,
      storms,
      rss_samples: await sampler.stop(),
      daemon: {
        exit_code: stopped?.code ?? -1,
        stop_ms: Math.round(stopped?.ms ?? 0),
        overflows_total: overflowsTotal,
        events_total: eventsTotal,
      },
      ok: failures.length === 0,
      failures,
    };
  } finally {
    options.signal?.removeEventListener("abort", abort);
    await sampler.stop();
    await probe?.close();
    await rig.close();
  }
}

interface StormContext {
  probe: LatencyProbe;
  sampler: RssSampler;
  origin: number;
  rate: OfferedRate;
  groups: string[][];
  probeGapMs: number;
  cancel: AbortSignal | undefined;
}

async function storm(
  rig: LoadRig,
  context: StormContext,
): Promise<StormResult> {
  const { sampler, origin } = context;
  const changes = context.groups.reduce((sum, group) => sum + group.length, 0);
  const overflowsBefore = await rig.metric("portsyncd_netlink_overflows_total");
  const logFrom = rig.daemon.lines.length;
  const writesBefore = await rig.metric("portsyncd_state_writes_total");
  const messagesBefore = await rig.metric("portsyncd_events_total");
  const batchesBefore = await rig.metric("portsyncd_batches_total");
  const rssStart = await rssMiB(rig.daemon.pid);
  const cpuBefore = await cpuNow(rig);
  const stop = new AbortController();
  const probing = context.probe.sample({
    count: Number.MAX_SAFE_INTEGER,
    signal: stop.signal,
    gapMs: context.probeGapMs,
    timeoutMs: 60_000,
    cancel: context.cancel,
  });
  probing.catch(() => {}); // awaited below
  let times;
  try {
    times = await runBatches(rig.ns, context.groups, { rate: context.rate });
  } finally {
    stop.abort();
  }
  const samples = await probing;
  const convergence = await awaitConvergence(
    rig.ns,
    rig.store.db("STATE_DB"),
    {
      cpu: () => cpuNow(rig),
      pollMs: 10,
      idleMs: 100,
      timeoutMs: 60_000,
    },
  );
  const endMs = performance.now() - origin;
  const startMs = times.startedAt - origin;
  const kernelMs = times.doneAt - times.startedAt;
  return {
    offered_rate: context.rate,
    changes,
    probe_changes: samples.request.length,
    parallel: context.groups.length,
    achieved_rate: Math.round(changes / (kernelMs / 1000)),
    kernel_ms: Math.round(kernelMs),
    convergence_ms: convergence.convergedAt === null
      ? null
      : Math.round(convergence.convergedAt - times.startedAt),
    settle_ms: convergence.convergedAt === null
      ? null
      : Math.round(convergence.convergedAt - times.doneAt),
    convergence_polls: convergence.polls,
    state_equal: convergence.comparison.equal,
    mismatched_ports: convergence.comparison.mismatched,
    mismatches: convergence.comparison.mismatches,
    port_writes: (await rig.metric("portsyncd_state_writes_total")) -
      writesBefore,
    link_messages: (await rig.metric("portsyncd_events_total")) -
      messagesBefore,
    batches: (await rig.metric("portsyncd_batches_total")) - batchesBefore,
    overflows: (await rig.metric("portsyncd_netlink_overflows_total")) -
      overflowsBefore,
    overflow_log_lines: countLines(rig, logFrom, /netlink overflow/),
    cpu_ms: cpuSince(cpuBefore, convergence.cpuAfter),
    rss_mib: {
      start: rssStart,
      peak: Math.max(rssStart, sampler.peak(startMs, endMs)),
      end: await rssMiB(rig.daemon.pid),
    },
    latency: phaseLatency(samples),
    start_ms: Math.round(startMs),
    end_ms: Math.round(endMs),
  };
}
