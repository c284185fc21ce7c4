/**
 * CPU and memory of other processes from `/proc`: utime + stime of every
 * thread (live and exited) from `/proc/<pid>/stat`, VmRSS from
 * `/proc/<pid>/status`, and a sampler that records RSS over time.
 * @module
 */

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`). */
let clockTicks: number | null = null;

async function ticksPerSecond(): Promise<number> {
  if (clockTicks !== null) return clockTicks;
  try {
    const output = await new Deno.Command("getconf", {
      args: ["CLK_TCK"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const value = Number(new TextDecoder().decode(output.stdout).trim());
    clockTicks = output.success && value > 0 ? value : 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/**
 * CPU time (user + system) a process has used so far, in ms; resolution is
 * one clock tick (10 ms at the usual CLK_TCK of 100).
 *
 * @example
 * ```ts ignore
 * const before = await cpuMs(pid);
 * // ... load ...
 * const used = (await cpuMs(pid)) - before;
 * ```
 */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces and parentheses):
  // state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) {
    throw new Error(`/proc/${pid}/stat: cannot read utime and stime`);
  }
  return ticks * 1000 / await ticksPerSecond();
}

/**
 * VmRSS of a process in MiB (one decimal).
 *
 * @example
 * ```ts ignore
 * await rssMiB(Deno.pid); // e.g. 41.3
 * ```
 */
export async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`/proc/${pid}/status: no VmRSS`);
  return Math.round(kb / 1024 * 10) / 10;
}

/** One RSS sample. */
export interface RssSample {
  /** ms since the sampler's origin. */
  t_ms: number;
  /** The daemon's VmRSS, MiB. */
  daemon_mib: number;
  /** redis-server's VmRSS, MiB. */
  redis_mib: number;
}

/**
 * Samples the VmRSS of the daemon and of redis-server every `intervalMs`
 * until stopped. A process that is gone ends the sampling quietly.
 *
 * @example
 * ```ts ignore
 * const sampler = new RssSampler({ daemon: 123, redis: 456 }, { intervalMs: 100, origin: 0 });
 * // ...
 * const samples = await sampler.stop();
 * ```
 */
export class RssSampler {
  readonly samples: RssSample[] = [];
  readonly #pids: { daemon: number; redis: number };
  readonly #origin: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #pending: Promise<void> = Promise.resolve();

  /** Starts sampling at once; `origin` is the `performance.now()` of t = 0. */
  constructor(
    pids: { daemon: number; redis: number },
    options: { intervalMs: number; origin: number },
  ) {
    this.#pids = pids;
    this.#origin = options.origin;
    this.#take();
    this.#timer = setInterval(() => this.#take(), options.intervalMs);
  }

  #take(): void {
    this.#pending = this.#pending.then(async () => {
      const t = performance.now() - this.#origin;
      try {
        const [daemon, redis] = await Promise.all([
          rssMiB(this.#pids.daemon),
          rssMiB(this.#pids.redis),
        ]);
        this.samples.push({
          t_ms: Math.round(t),
          daemon_mib: daemon,
          redis_mib: redis,
        });
      } catch {
        clearInterval(this.#timer);
      }
    });
  }

  /** Largest daemon RSS sampled between two times (ms since origin). */
  peak(fromMs: number, toMs: number): number {
    let peak = 0;
    for (const sample of this.samples) {
      if (sample.t_ms >= fromMs && sample.t_ms <= toMs) {
        peak = Math.max(peak, sample.daemon_mib);
      }
    }
    return peak;
  }

  /** Stops sampling; resolves once the last sample is in. */
  async stop(): Promise<RssSample[]> {
    clearInterval(this.#timer);
    await this.#pending;
    return this.samples;
  }
}
