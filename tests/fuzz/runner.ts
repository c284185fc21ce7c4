/**
 * Child process of `runFuzz`: runs one fuzz worker module under the
 * watchdog and prints one JSON line (`RunnerResult`), then exits, ending
 * the worker even if a case spins forever.
 *
 * ```sh
 * deno run --allow-all tests/fuzz/runner.ts '{"module": "file:///…/config_fuzz.ts", "settings": {…}}'
 * ```
 * @module
 */

import {
  type FuzzSettings,
  runFuzzWorker,
  type RunnerResult,
} from "./harness.ts";

interface Request {
  module: string;
  settings: FuzzSettings;
  stallMs?: number;
  context?: unknown;
}

const request: Request = JSON.parse(Deno.args[0]);
let result: RunnerResult;
try {
  const report = await runFuzzWorker(
    new URL(request.module),
    request.settings,
    {
      stallMs: request.stallMs,
      context: request.context,
    },
  );
  result = { ok: true, report };
} catch (error) {
  result = {
    ok: false,
    error: error instanceof Error ? error.message : String(error),
  };
}
console.log(JSON.stringify(result));
Deno.exit(result.ok ? 0 : 1);
