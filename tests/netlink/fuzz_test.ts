import assert from "node:assert/strict";
import { describeReport, fuzzSettings, runFuzz } from "../fuzz/harness.ts";

/** CI size; `deno task fuzz` runs 1,000,000 (PORTSYNCD_FUZZ_CASES). */
const DEFAULT_CASES = 100_000;

Deno.test("fuzz: random and mutated netlink messages decode or fail typed", async () => {
  const settings = fuzzSettings(DEFAULT_CASES);
  const report = await runFuzz(
    new URL("../fuzz/decoder_fuzz.ts", import.meta.url),
    settings,
  );
  console.log(describeReport("netlink decoder", report));
  const total = Object.values(report.outcomes).reduce((a, b) => a + b, 0);
  assert.equal(total, settings.cases);
  if (settings.cases >= 1000) {
    // Both kinds of outcome: the mutations reach past the first check.
    assert.ok((report.outcomes.decoded ?? 0) > 0, describeReport("", report));
    assert.ok((report.outcomes.refused ?? 0) > 0, describeReport("", report));
  }
});
