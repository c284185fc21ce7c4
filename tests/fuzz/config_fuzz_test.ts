import assert from "node:assert/strict";
import { describeReport, fuzzSettings, runFuzz } from "./harness.ts";

/** CI size (a few seconds); `deno task fuzz` sets PORTSYNCD_FUZZ_CASES. */
const DEFAULT_CASES = 20_000;

Deno.test("fuzz: hostile portsyncd.conf and database_config.json load or fail with safe one-line problems", async () => {
  const settings = fuzzSettings(DEFAULT_CASES);
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-fuzz-" });
  try {
    const report = await runFuzz(
      new URL("./config_fuzz.ts", import.meta.url),
      settings,
      { context: dir },
    );
    console.log(describeReport("config", report));
    const total = Object.values(report.outcomes).reduce((a, b) => a + b, 0);
    assert.equal(total, settings.cases);
    if (settings.cases >= 10_000) {
      // The mutations reach every stage: syntax, schema, rules, acceptance.
      for (
        const outcome of [
          "toml:valid",
          "json:valid",
          "toml:toml-syntax",
          "json:json-syntax",
          "toml:bad-value",
          "json:bad-value",
          "toml:unknown-key",
          "toml:cross-check",
          "json:bad-utf8",
        ]
      ) {
        assert.ok(
          (report.outcomes[outcome] ?? 0) > 0,
          `no ${outcome}: ${describeReport("config", report)}`,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
