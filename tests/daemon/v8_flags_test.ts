/**
 * The V8 flags of `src/daemon/v8_flags.ts`: one `--v8-flags` argument,
 * every flag known to this Deno's V8 (Deno refuses to start on an unknown
 * one), and the young generation really stays small under them.
 * @module
 */

import assert from "node:assert/strict";
import { V8_FLAGS, v8FlagsArgument } from "../../src/daemon/v8_flags.ts";

/** Allocates a million surviving objects, then prints new space's size. */
const NEW_SPACE_SCRIPT = `
import v8 from "node:v8";
const kept = [];
for (let i = 0; i < 1_000_000; i++) kept.push({ i });
const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
console.log(space.space_size);
`;

async function newSpaceBytes(v8Args: string[]): Promise<number> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", ...v8Args, NEW_SPACE_SCRIPT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.equal(stderr, "");
  return Number(new TextDecoder().decode(output.stdout).trim());
}

Deno.test("v8FlagsArgument: one argument, the set first, extra flags after", () => {
  assert.equal(v8FlagsArgument(), `--v8-flags=${V8_FLAGS.join(",")}`);
  assert.equal(
    v8FlagsArgument(["--trace-gc"]),
    `--v8-flags=${[...V8_FLAGS, "--trace-gc"].join(",")}`,
  );
  assert.throws(() => v8FlagsArgument(["--a,--b"]), /unusable flag/);
  assert.throws(() => v8FlagsArgument(["trace-gc"]), /unusable flag/);
});

Deno.test("V8 flags: accepted by this Deno, and new space stays at a few MiB", async () => {
  const MiB = 1024 * 1024;
  const tuned = await newSpaceBytes([v8FlagsArgument()]);
  // Two 1 MiB semi-spaces (V8 rounds to its page size); without the flag
  // the same allocation grows new space to 16 MiB or more here.
  assert.ok(tuned <= 3 * MiB, `new space ${tuned} B with ${V8_FLAGS}`);
  const untuned = await newSpaceBytes([]);
  assert.ok(untuned > tuned, `new space ${untuned} B without the flags`);
});
