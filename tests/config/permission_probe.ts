/**
 * Run by `hostile_input_test.ts` without --allow-read: loads the file named
 * by the first argument both ways and prints each outcome's problems as one
 * JSON line.
 * @module
 */

import { ConfigError, loadConfig, loadDbConfig } from "../../src/config/mod.ts";

const [path] = Deno.args;
for (
  const load of [
    () => loadConfig(path),
    () => loadConfig(path, { optional: true }),
    () => loadDbConfig(path),
  ]
) {
  try {
    await load();
    console.log(JSON.stringify("loaded"));
  } catch (error) {
    console.log(
      JSON.stringify(
        error instanceof ConfigError ? error.problems : String(error),
      ),
    );
  }
}
