/**
 * `startupStep`: announced, reported while slow, abandoned at once on
 * abort, and a work that settles after it was abandoned is dropped quietly.
 * @module
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/log/mod.ts";
import { StartupAborted, startupStep } from "../../src/daemon/startup_step.ts";
import { waitFor } from "../helpers/daemon.ts";

function recorder(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return {
    lines,
    log: createLogger("info", { sink: (line) => lines.push(line) }),
  };
}

Deno.test("startup step: announces the step and resolves with the work's value", async () => {
  const { lines, log } = recorder();
  const signal = new AbortController().signal;
  const value = await startupStep("reading", Promise.resolve(42), {
    signal,
    log,
  });
  assert.equal(value, 42);
  assert.deepEqual(lines, ["INFO reading"]);
});

Deno.test("startup step: reports a slow step with its detail, then is abandoned on abort", async () => {
  const { lines, log } = recorder();
  const controller = new AbortController();
  const never = Promise.withResolvers<number>();
  const step = startupStep("connecting", never.promise, {
    signal: controller.signal,
    log,
    slowMs: 20,
    detail: () => "unanswered redis commands: STATE_DB=1",
  });
  await waitFor("two slow reports", () => lines.length >= 3);
  assert.match(
    lines[1],
    /^WARN still waiting after \d+ s: connecting \(unanswered redis commands: STATE_DB=1\)$/,
  );
  controller.abort("SIGTERM");
  await assert.rejects(step, (error: unknown) => {
    assert.ok(error instanceof StartupAborted);
    assert.equal(error.step, "connecting");
    assert.equal(error.message, "stopped (SIGTERM) while connecting");
    return true;
  });
  // Rejecting the abandoned work later must not surface as an unhandled
  // rejection (Deno would fail the run).
  never.reject(new Error("too late"));
});

Deno.test("startup step: an already aborted signal abandons at once; the work's own failure passes through", async () => {
  const { log } = recorder();
  const aborted = AbortSignal.abort("SIGINT");
  await assert.rejects(
    startupStep("x", new Promise(() => {}), { signal: aborted, log }),
    StartupAborted,
  );
  const signal = new AbortController().signal;
  await assert.rejects(
    startupStep("y", Promise.reject(new Error("refused")), { signal, log }),
    /refused/,
  );
});
