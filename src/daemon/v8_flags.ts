/**
 * The one list of V8 flags portsyncd runs with, used by `deno task start`,
 * `deno compile` (baked into the binary), the packaged wrapper that runs the
 * bundle, and the tests' `startDaemon`.
 *
 * Why each flag (figures in BENCHMARKS.md, Memory; `tools/memory.ts`):
 * - `--max-semi-space-size=1`: V8 sizes the young generation from the
 *   machine's memory, and on a 24 GiB host it grows to ~60 MiB of resident
 *   pages during start-up and stays there. A daemon whose live heap is
 *   ~20 MiB needs 1 MiB semi-spaces; a scavenge of them takes well under a
 *   millisecond.
 * - `--heap-growing-percent=25`: after a full GC the old generation may grow
 *   by 25% of what survived before the next one, instead of up to 4x (the
 *   heap limit is ~4 GiB here, so garbage otherwise piles up for tens of
 *   MiB until the memory reducer runs, seconds after the daemon goes idle).
 *   The price is ~130 ms more CPU at start-up (more full GCs while modules
 *   load); per-event CPU and latency are unchanged within noise.
 *
 * No hard cap (`--max-old-space-size`): a daemon that reaches it dies with
 * an out-of-memory abort instead of running slower.
 * @module
 */

/** The V8 flags, each as V8 spells it. */
export const V8_FLAGS: readonly string[] = [
  "--max-semi-space-size=1",
  "--heap-growing-percent=25",
];

/**
 * The one `--v8-flags=…` argument of `deno run` / `deno compile` carrying
 * {@linkcode V8_FLAGS} and `extra` (Deno keeps only the last `--v8-flags`,
 * so every V8 flag has to go in one argument).
 *
 * @example
 * ```ts
 * import { v8FlagsArgument } from "./v8_flags.ts";
 * v8FlagsArgument(); // "--v8-flags=--max-semi-space-size=1,--heap-growing-percent=25"
 * v8FlagsArgument(["--trace-gc"]).endsWith(",--trace-gc"); // true
 * ```
 */
export function v8FlagsArgument(extra: readonly string[] = []): string {
  for (const flag of extra) {
    if (!flag.startsWith("--") || flag.includes(",")) {
      throw new Error(`v8FlagsArgument: unusable flag ${JSON.stringify(flag)}`);
    }
  }
  return `--v8-flags=${[...V8_FLAGS, ...extra].join(",")}`;
}
