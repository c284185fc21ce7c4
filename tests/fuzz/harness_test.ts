import assert from "node:assert/strict";
import { caseRandom, runFuzz } from "./harness.ts";

const SAMPLE = new URL("./sample_fuzz.ts", import.meta.url);

Deno.test("harness: a case's random stream depends only on seed and index", () => {
  const first = caseRandom(7, 1000);
  const again = caseRandom(7, 1000);
  const values = [first(), first(), first()];
  assert.deepEqual([again(), again(), again()], values);
  assert.notEqual(caseRandom(7, 1001)(), values[0]);
  assert.notEqual(caseRandom(8, 1000)(), values[0]);
});

Deno.test("harness: every case runs and its outcome is counted", async () => {
  const report = await runFuzz(SAMPLE, { cases: 500, seed: 3, from: 100 }, {
    context: {},
  });
  assert.equal(report.cases, 500);
  assert.equal(report.from, 100);
  assert.equal((report.outcomes.even ?? 0) + (report.outcomes.odd ?? 0), 500);
  assert.ok(report.outcomes.even > 0 && report.outcomes.odd > 0);
});

Deno.test("harness: a thrown error names the seed, the case and how to replay it", async () => {
  await assert.rejects(
    runFuzz(SAMPLE, { cases: 100, seed: 3, from: 0 }, {
      context: { failAt: 42 },
    }),
    (error: Error) => {
      assert.match(
        error.message,
        /^seed 3 case 42: RangeError: planted failure at 42/,
      );
      assert.match(
        error.message,
        /replay: PORTSYNCD_FUZZ_SEED=3 PORTSYNCD_FUZZ_FROM=42 PORTSYNCD_FUZZ_CASES=1$/,
      );
      return true;
    },
  );
});

Deno.test("harness: a case that never ends is reported, and its process ended", async () => {
  await assert.rejects(
    runFuzz(SAMPLE, { cases: 100, seed: 3, from: 0 }, {
      context: { hangAt: 17 },
      stallMs: 500,
    }),
    /^Error: seed 3 case 17: no progress for 500 ms \(a hang\?\); replay: /,
  );
});
