/**
 * `--check-config` checks the file's alert rules as a start does: one line
 * per problem naming the file, the rule and the field; exit 1.
 * @module
 */

import assert from "node:assert/strict";
import { checkConfig, DB_CONFIG, withDir } from "../cli/run.ts";

Deno.test("rules: --check-config names the file, the rule and the field of every bad rule", () =>
  withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/db.json`, DB_CONFIG);
    await Deno.writeTextFile(
      `${dir}/p.conf`,
      `[[alerting.rules]]
id = "ok"
metric = "ports_oper_down"
condition = "above"
threshold = 0

[[alerting.rules]]
id = "range"
metric = "port_oper_down"
condition = "between"
min = 5
max = 1

[[alerting.rules]]
id = "typo"
metric = "ports_down"
condition = "above"
threshold = 0
for = "5x"
`,
    );
    const run = await checkConfig(dir);
    assert.equal(run.code, 1, run.stdout);
    const lines = run.stderr.trim().split("\n");
    assert.ok(lines.length >= 3, run.stderr);
    for (const line of lines) {
      assert.match(line, new RegExp(`^${dir}/p.conf: alerting\\.rule `));
    }
    assert.ok(lines.some((l) => /rule range: .*min/.test(l)), run.stderr);
    assert.ok(
      lines.some((l) => /rule typo: metric: .*ports_down/.test(l)),
      run.stderr,
    );
    assert.ok(lines.some((l) => /rule typo: for: /.test(l)), run.stderr);
    assert.ok(
      !lines.some((l) => /rule ok/.test(l)),
      "a good rule is not named",
    );
  }));
