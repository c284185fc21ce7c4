/**
 * A small seeded fuzzing harness. Each case gets its own PRNG derived from
 * (seed, case index), so any case can be replayed alone. The cases run in a
 * worker inside a child process (`runner.ts`); the child's main thread
 * watches a shared progress counter and, if one case stops making progress
 * (an endless or super-linear loop), reports that case and exits, which
 * also ends the spinning worker (Deno's `Worker.terminate()` cannot stop a
 * busy loop, so a hang must not happen in the test's own process).
 *
 * Environment:
 * - `PORTSYNCD_FUZZ_CASES`: cases per fuzzer (default: each suite's CI size).
 * - `PORTSYNCD_FUZZ_SEED`: the seed (default: a fixed one, so CI is stable).
 * - `PORTSYNCD_FUZZ_FROM`: index of the first case (to replay one case).
 * @module
 */

/** A PRNG returning uniform 32-bit unsigned integers. */
export type Random = () => number;

/** The seed used when `PORTSYNCD_FUZZ_SEED` is not set. */
export const DEFAULT_SEED = 0x5eed_2026;

/** How a fuzz run is sized and seeded. */
export interface FuzzSettings {
  /** Number of cases. */
  cases: number;
  /** Seed of every case's PRNG. */
  seed: number;
  /** Index of the first case. */
  from: number;
}

/** What a case's body reports: a name for its outcome, counted in the report. */
export type FuzzBody = (
  random: Random,
  index: number,
) => string | Promise<string>;

/** Figures of a finished run. */
export interface FuzzReport extends FuzzSettings {
  /** Wall time of the whole run, seconds. */
  seconds: number;
  /** The slowest case and its time. */
  slowest: { index: number; ms: number };
  /** Cases per outcome name. */
  outcomes: Record<string, number>;
}

function envNumber(name: string): number | undefined {
  let text: string | undefined;
  try {
    text = Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: defaults
  }
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name}=${text}: not a non-negative integer`);
  }
  return value;
}

/**
 * The run's settings: `PORTSYNCD_FUZZ_CASES` (else `defaultCases`),
 * `PORTSYNCD_FUZZ_SEED`, `PORTSYNCD_FUZZ_FROM`.
 *
 * @example
 * ```ts
 * const settings = fuzzSettings(20_000);
 * ```
 */
export function fuzzSettings(defaultCases: number): FuzzSettings {
  return {
    cases: envNumber("PORTSYNCD_FUZZ_CASES") ?? defaultCases,
    seed: (envNumber("PORTSYNCD_FUZZ_SEED") ?? DEFAULT_SEED) >>> 0,
    from: envNumber("PORTSYNCD_FUZZ_FROM") ?? 0,
  };
}

/**
 * mulberry32 seeded from (seed, index): each case's own random stream.
 *
 * @example
 * ```ts
 * const random = caseRandom(1, 0);
 * random(); // a uint32
 * ```
 */
export function caseRandom(seed: number, index: number): Random {
  let state = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  state = Math.imul(state ^ (state >>> 16), 0x85ebca6b) >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

interface StartMessage extends FuzzSettings {
  /** [0]: index of the case running; [1]: cases finished. */
  progress: SharedArrayBuffer;
  /** Extra data for the body (e.g. a temp directory). */
  context: unknown;
}

type WorkerReply =
  | { kind: "done"; report: FuzzReport }
  | { kind: "failure"; index: number; message: string };

/** The `context` passed to {@linkcode runFuzzWorker}, inside the worker. */
let workerContext: unknown = undefined;

/**
 * The context the test passed to {@linkcode runFuzzWorker}; call it from a
 * body running in the worker.
 *
 * @example
 * ```ts
 * const dir = fuzzContext() as string;
 * ```
 */
export function fuzzContext(): unknown {
  return workerContext;
}

/**
 * In a worker module: runs `body` for each case when the test says so,
 * reporting progress through shared memory and the first failure by
 * message.
 *
 * @example
 * ```ts
 * serveFuzz((random) => random() % 2 === 0 ? "even" : "odd");
 * ```
 */
export function serveFuzz(body: FuzzBody): void {
  const scope = self as unknown as {
    onmessage: (event: MessageEvent<StartMessage>) => void;
    postMessage: (reply: WorkerReply) => void;
  };
  scope.onmessage = async (event) => {
    const { cases, seed, from, progress, context } = event.data;
    workerContext = context;
    const cells = new Int32Array(progress);
    const outcomes: Record<string, number> = {};
    const slowest = { index: from, ms: 0 };
    const started = performance.now();
    for (let index = from; index < from + cases; index++) {
      Atomics.store(cells, 0, index);
      const caseStart = performance.now();
      let outcome: string;
      try {
        outcome = await body(caseRandom(seed, index), index);
      } catch (error) {
        const message = error instanceof Error
          ? `${error.name}: ${error.message}\n${error.stack ?? ""}`
          : String(error);
        scope.postMessage({ kind: "failure", index, message });
        return;
      }
      const ms = performance.now() - caseStart;
      if (ms > slowest.ms) Object.assign(slowest, { index, ms });
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      Atomics.add(cells, 1, 1);
    }
    const seconds = (performance.now() - started) / 1000;
    scope.postMessage({
      kind: "done",
      report: { cases, seed, from, seconds, slowest, outcomes },
    });
  };
}

/** Options of {@linkcode runFuzzWorker}. */
export interface RunFuzzOptions {
  /** A case that runs this long without finishing fails the run. Default 30 s. */
  stallMs?: number;
  /** Passed to the worker's body through {@linkcode fuzzContext}. */
  context?: unknown;
}

/**
 * In-process part of {@linkcode runFuzz} (used by `runner.ts`): runs the
 * worker module at `module` (which calls {@linkcode serveFuzz}) with
 * `settings`; resolves with its report, or rejects naming the failed or
 * stalled case and how to replay it. After a stall the worker may still
 * spin: the caller must exit its process.
 *
 * @example
 * ```ts
 * const report = await runFuzzWorker(
 *   new URL("./config_fuzz.ts", import.meta.url),
 *   fuzzSettings(20_000),
 * );
 * ```
 */
export function runFuzzWorker(
  module: URL,
  settings: FuzzSettings,
  options: RunFuzzOptions = {},
): Promise<FuzzReport> {
  const stallMs = options.stallMs ?? 30_000;
  const progress = new SharedArrayBuffer(8);
  const cells = new Int32Array(progress);
  const worker = new Worker(module, { type: "module" });
  const replay = (index: number) =>
    `PORTSYNCD_FUZZ_SEED=${settings.seed} PORTSYNCD_FUZZ_FROM=${index} PORTSYNCD_FUZZ_CASES=1`;
  return new Promise<FuzzReport>((resolve, reject) => {
    let lastDone = -1;
    let lastChange = performance.now();
    const watchdog = setInterval(() => {
      const done = Atomics.load(cells, 1);
      const now = performance.now();
      if (done !== lastDone) {
        lastDone = done;
        lastChange = now;
        return;
      }
      if (now - lastChange < stallMs) return;
      const index = Atomics.load(cells, 0);
      finish(() =>
        reject(
          new Error(
            `seed ${settings.seed} case ${index}: no progress for ${stallMs} ms (a hang?); replay: ${
              replay(index)
            }`,
          ),
        )
      );
    }, 250);
    function finish(settle: () => void): void {
      clearInterval(watchdog);
      worker.terminate();
      settle();
    }
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.kind === "done") {
        finish(() => resolve(reply.report));
        return;
      }
      finish(() =>
        reject(
          new Error(
            `seed ${settings.seed} case ${reply.index}: ${reply.message}\nreplay: ${
              replay(reply.index)
            }`,
          ),
        )
      );
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      finish(() => reject(new Error(`fuzz worker failed: ${event.message}`)));
    };
    const start: StartMessage = {
      ...settings,
      progress,
      context: options.context,
    };
    worker.postMessage(start);
  });
}

/** What `runner.ts` prints as its last stdout line. */
export type RunnerResult =
  | { ok: true; report: FuzzReport }
  | { ok: false; error: string };

const RUNNER = new URL("./runner.ts", import.meta.url);

/**
 * Runs the fuzz worker module `module` in a child process (see
 * `runner.ts`); resolves with its report, or rejects naming the failed or
 * stalled case and how to replay it.
 *
 * @example
 * ```ts
 * const report = await runFuzz(
 *   new URL("./config_fuzz.ts", import.meta.url),
 *   fuzzSettings(20_000),
 * );
 * ```
 */
export async function runFuzz(
  module: URL,
  settings: FuzzSettings,
  options: RunFuzzOptions = {},
): Promise<FuzzReport> {
  const request = JSON.stringify({
    module: module.href,
    settings,
    stallMs: options.stallMs,
    context: options.context,
  });
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", RUNNER.pathname, request],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).output();
  const lines = new TextDecoder().decode(output.stdout).trimEnd().split("\n");
  let result: RunnerResult;
  try {
    result = JSON.parse(lines.at(-1) ?? "");
  } catch {
    throw new Error(
      `fuzz runner exited ${output.code} without a result: ${lines.join("\n")}`,
    );
  }
  if (!result.ok) throw new Error(result.error);
  return result.report;
}

/**
 * One line of figures for a report (printed by the fuzz tests).
 *
 * @example
 * ```ts
 * console.log(describeReport("config", report));
 * ```
 */
export function describeReport(name: string, report: FuzzReport): string {
  const outcomes = Object.entries(report.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([outcome, count]) => `${outcome}=${count}`)
    .join(" ");
  return `fuzz ${name}: ${report.cases} cases from ${report.from}, seed ${report.seed} (0x${
    report.seed.toString(16)
  }), ${report.seconds.toFixed(1)} s, slowest case ${report.slowest.index} ${
    report.slowest.ms.toFixed(1)
  } ms; ${outcomes}`;
}
