import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../src/config/mod.ts";
import { portsyncd, type Run, withDir } from "../cli/run.ts";

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, { source: "p.conf" });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("cross-check: reconnect_initial_ms above reconnect_max_ms names the key set", () => {
  assert.deepEqual(
    problemsOf("[store]\nreconnect_initial_ms = 10000\n"),
    [
      "p.conf: store.reconnect_initial_ms: 10000 is above store.reconnect_max_ms (5000); the first reconnect delay cannot exceed the longest",
    ],
  );
  assert.deepEqual(
    problemsOf("[store]\nreconnect_max_ms = 50\n"),
    [
      "p.conf: store.reconnect_max_ms: 50 is below store.reconnect_initial_ms (100); the longest reconnect delay cannot be shorter than the first",
    ],
  );
  const both = problemsOf(
    "[store]\nreconnect_initial_ms = 700\nreconnect_max_ms = 600\n",
  );
  assert.equal(both.length, 1);
  assert.match(both[0], /^p\.conf: store\.reconnect_initial_ms: 700 is above/);
});

Deno.test("cross-check: equal reconnect delays are allowed", () => {
  const config = parseConfig(
    "[store]\nreconnect_initial_ms = 2000\nreconnect_max_ms = 2000\n",
    { source: "p.conf" },
  );
  assert.equal(config.store.reconnect_initial_ms, 2000);
});

Deno.test("cross-check: reconnect delays above 2^31-1 ms are refused", () => {
  for (const key of ["reconnect_initial_ms", "reconnect_max_ms"]) {
    const problems = problemsOf(`[store]\n${key} = 2147483648\n`);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0],
      new RegExp(`^p\\.conf: store\\.${key}: .*2147483647`),
    );
  }
  const longest = parseConfig(
    "[store]\nreconnect_initial_ms = 2147483647\nreconnect_max_ms = 2147483647\n",
    { source: "p.conf" },
  );
  assert.equal(longest.store.reconnect_max_ms, 2 ** 31 - 1);
});

Deno.test("cross-check: max_pending_writes below max_batch names the key set", () => {
  assert.deepEqual(problemsOf("[store]\nmax_pending_writes = 4\n"), [
    "p.conf: store.max_pending_writes: 4 is below sync.max_batch (4096); every full batch would be refused",
  ]);
  assert.deepEqual(problemsOf("[sync]\nmax_batch = 200000\n"), [
    "p.conf: sync.max_batch: 200000 is above store.max_pending_writes (100000); every full batch would be refused",
  ]);
  const config = parseConfig(
    "[store]\nmax_pending_writes = 4\n[sync]\nmax_batch = 4\n",
    { source: "p.conf" },
  );
  assert.equal(config.store.max_pending_writes, 4);
});

Deno.test("cross-check: every broken rule is reported at once", () => {
  const problems = problemsOf(
    "[store]\nmax_pending_writes = 4\nreconnect_initial_ms = 9000\n",
  );
  assert.deepEqual(problems.map((line) => line.split(": ")[1]), [
    "store.reconnect_initial_ms",
    "store.max_pending_writes",
  ]);
});

Deno.test("sanity: command_timeout_ms and verify_interval_ms have a floor", () => {
  assert.match(
    problemsOf("[store]\ncommand_timeout_ms = 10\n")[0],
    /^p\.conf: store\.command_timeout_ms: .*100/,
  );
  assert.deepEqual(problemsOf("[sync]\nverify_interval_ms = 5\n"), [
    "p.conf: sync.verify_interval_ms: must be 0 (off) or at least 100",
  ]);
  const off = parseConfig("[sync]\nverify_interval_ms = 0\n", {
    source: "p.conf",
  });
  assert.equal(off.sync.verify_interval_ms, 0);
});

Deno.test("sanity: netlink.namespace must be a name or an absolute path", () => {
  const cases: [string, RegExp][] = [
    ['"."', /"\." is not a namespace name/],
    ['".."', /"\.\." is not a namespace name/],
    ['"netns/x"', /a name under \/run\/netns or an absolute path/],
    ['"a\\u0000b"', /control characters/],
    ['"a\\nb"', /control characters/],
    [`"${"n".repeat(256)}"`, /at most 255 bytes \(this one is 256\)/],
  ];
  for (const [value, pattern] of cases) {
    const problems = problemsOf(`[netlink]\nnamespace = ${value}\n`);
    assert.equal(problems.length, 1, value);
    assert.match(problems[0], /^p\.conf: netlink\.namespace: /);
    assert.match(problems[0], pattern);
  }
  for (const value of ["asic0", "/proc/1/ns/net", "/run/netns/asic1"]) {
    const config = parseConfig(`[netlink]\nnamespace = "${value}"\n`, {
      source: "p.conf",
    });
    assert.equal(config.netlink.namespace, value);
  }
});

Deno.test("sanity: daemon.lock_dir must be an absolute path", () => {
  assert.deepEqual(problemsOf('[daemon]\nlock_dir = "run/portsyncd"\n'), [
    "p.conf: daemon.lock_dir: must be an absolute path",
  ]);
  assert.deepEqual(problemsOf('[daemon]\nlock_dir = "/run/\\u001b[2J"\n'), [
    "p.conf: daemon.lock_dir: must not contain control characters",
  ]);
});

Deno.test("cross-check: --check-config and a start refuse the same file with the same lines", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/p.conf`,
      "[store]\nmax_pending_writes = 4\nreconnect_max_ms = 50\n",
    );
    const common = ["-c", `${dir}/p.conf`, "--store", "memory"];
    const runs: Run[] = [];
    for (const args of [["--check-config", ...common], common]) {
      runs.push(await portsyncd(args));
    }
    const [check, start] = runs;
    assert.equal(check.code, 1);
    assert.equal(start.code, 1);
    assert.equal(start.stderr, check.stderr);
    assert.deepEqual(
      check.stderr.trimEnd().split("\n").map((line) => line.split(": ")[1]),
      ["store.reconnect_max_ms", "store.max_pending_writes"],
    );
  });
});
