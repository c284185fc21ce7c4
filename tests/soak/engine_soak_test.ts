/**
 * The engine's live heap stays flat over many link changes with every port
 * in APPL_DB (the steady state of a switch). Runs `tools/soak_engine.ts` in
 * a child Deno with `--expose-gc`, so the heap is measured after forced
 * collections while the loop still runs. The old loop raced a wake-up
 * promise that never resolved and grew by ~800 bytes per batch.
 *
 * `PORTSYNCD_SOAK_EVENTS` sets the size (default 200,000; `deno task soak`
 * runs 1,000,000).
 * @module
 */

import assert from "node:assert/strict";

const TOOL = new URL("../../tools/soak_engine.ts", import.meta.url).pathname;
const EVENTS = Number(Deno.env.get("PORTSYNCD_SOAK_EVENTS") ?? "200000");

Deno.test("soak: the engine's heap after warm-up grows < 5% over the run", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      TOOL,
      "--events",
      String(EVENTS),
      "--batch",
      "1",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const figures = JSON.parse(new TextDecoder().decode(output.stdout));
  console.log(`engine soak: ${JSON.stringify(figures)}`);
  assert.equal(figures.stateWrites, EVENTS, "every change was written");
  assert.ok(
    figures.heapGrowthPercent < 5,
    `heap grew ${figures.heapGrowthPercent}% (${figures.heapAfterWarmup} -> ${figures.heapAtEnd} bytes)`,
  );
});
