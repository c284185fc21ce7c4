import assert from "node:assert/strict";
import {
  ConfigError,
  decodeConfigText,
  escapeText,
  loadConfig,
  loadDbConfig,
  MAX_CONFIG_BYTES,
  MAX_PROBLEM_LENGTH,
  MAX_PROBLEMS_PER_FILE,
  parseConfig,
  parseDbConfigText,
  requireDatabases,
} from "../../src/config/mod.ts";
import { DB_CONFIG, withDir } from "../cli/run.ts";

// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

/** Runs `action`, expects a ConfigError and checks every line is safe. */
async function safeProblemsOf(
  action: () => unknown,
  file: string,
): Promise<string[]> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    assert.ok(error.problems.length > 0);
    for (const line of error.problems) {
      assert.ok(!UNSAFE.test(line), `unsafe line: ${JSON.stringify(line)}`);
      assert.ok(line.length <= MAX_PROBLEM_LENGTH, `long line: ${line.length}`);
      assert.ok(line.startsWith(`${file}:`), `unnamed file: ${line}`);
    }
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("escapeText: control, separator and bidi characters are escaped, length capped", () => {
  assert.equal(escapeText("a\x1b[31mb\nc\td"), "a\\u001b[31mb\\nc\\td");
  assert.equal(
    escapeText("\0\x7f\x9b\u2028\u202e\ufeff"),
    "\\u0000\\u007f\\u009b\\u2028\\u202e\\ufeff",
  );
  assert.equal(escapeText("\ud800x"), "\\ud800x");
  assert.equal(escapeText("😀 ünïcode"), "😀 ünïcode");
  assert.equal(escapeText("x".repeat(100), { max: 10 }), "xxxxxxx...");
  assert.equal(escapeText("\n".repeat(100), { max: 10 }), "\\n\\n\\n...");
  assert.equal(escapeText('say "hi"\\', { quotes: true }), 'say \\"hi\\"\\\\');
});

Deno.test("JSON syntax errors are one located line that never echoes the input", async () => {
  const cases: [string, string][] = [
    [
      '{"a": \x1b[31m}',
      '1:7: invalid JSON: unexpected "\\u001b"; expected a value',
    ],
    ['{"a":\n  "x\x00y"}', "2:5: invalid JSON: control character in a string"],
    ['{"a": 1', "1:8: invalid JSON: unexpected end; expected ',' or '}'"],
    ["", "1:1: invalid JSON: unexpected end; expected a value"],
    ["[1,]", '1:4: invalid JSON: unexpected "]"; expected a value'],
    [
      '{"a": 1} \x07',
      '1:10: invalid JSON: unexpected "\\u0007"; expected the end after the document',
    ],
    ['{"\\q": 1}', "1:3: invalid JSON: bad escape in a string"],
    ['{"a": "\\u12"}', "1:8: invalid JSON: bad \\u escape in a string"],
    ['{"a": -}', "1:7: invalid JSON: bad number"],
    ['{"a" 1}', "1:6: invalid JSON: unexpected \"1\"; expected ':'"],
  ];
  for (const [text, expected] of cases) {
    const problems = await safeProblemsOf(
      () => parseDbConfigText(text, { source: "db.json" }),
      "db.json",
    );
    assert.deepEqual(problems, [`db.json:${expected}`], JSON.stringify(text));
  }
});

Deno.test("JSON: a 10 kB key echoed as text that is cut short", async () => {
  const text = `{"INSTANCES": {}, "DATABASES": {}, "${
    "k".repeat(10_000)
  }\\u001b": 1}`;
  const problems = await safeProblemsOf(
    () => parseDbConfigText(text, { source: "db.json" }),
    "db.json",
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^db\.json: "k{50,64}\.\.\.": unknown key$/);
});

Deno.test("JSON: keys and values with newlines, NUL and ESC are escaped", async () => {
  const data = JSON.parse(DB_CONFIG);
  data.INSTANCES["a\nb"] = { hostname: "h", port: 1, "x\u0000": 1 };
  data.DATABASES.APPL_DB.instance = "\x1b]0;pwned\x07";
  const problems = await safeProblemsOf(
    () => parseDbConfigText(JSON.stringify(data), { source: "db.json" }),
    "db.json",
  );
  assert.deepEqual(problems, [
    'db.json: INSTANCES."a\\nb"."x\\u0000": unknown key',
  ]);
  delete data.INSTANCES["a\nb"];
  const unknown = await safeProblemsOf(
    () => parseDbConfigText(JSON.stringify(data), { source: "db.json" }),
    "db.json",
  );
  assert.deepEqual(unknown, [
    'db.json: DATABASES.APPL_DB.instance: unknown instance "\\u001b]0;pwned\\u0007"',
  ]);
});

Deno.test("TOML: syntax errors are one line without the parser's excerpt", async () => {
  const problems = await safeProblemsOf(
    () => parseConfig('[log]\nlevel = "\x1b[2J"\n', { source: "p.conf" }),
    "p.conf",
  );
  assert.deepEqual(problems, [
    "p.conf:2:10: invalid TOML: control characters are not allowed in strings",
  ]);
  const deep = await safeProblemsOf(
    () => parseConfig(`a = ${"[".repeat(5000)}`, { source: "p.conf" }),
    "p.conf",
  );
  assert.match(deep[0], /^p\.conf:1:\d+: invalid TOML: .*nested/);
});

Deno.test("TOML: unknown keys with control characters or 10 kB of text are escaped and cut", async () => {
  const long = "z".repeat(10_000);
  const problems = await safeProblemsOf(
    () =>
      parseConfig(`"a\\nb\\u0000" = 1\n[log]\n"${long}" = 2\n`, {
        source: "p.conf",
      }),
    "p.conf",
  );
  assert.deepEqual(problems.sort(), [
    'p.conf: "a\\nb\\u0000": unknown key',
    `p.conf: log."${"z".repeat(61)}...": unknown key`,
  ]);
});

Deno.test("problems are capped per file, the rest counted", async () => {
  const keys = Array.from({ length: 500 }, (_, i) => `k${i} = 1`).join("\n");
  const problems = await safeProblemsOf(
    () => parseConfig(keys, { source: "p.conf" }),
    "p.conf",
  );
  assert.equal(problems.length, MAX_PROBLEMS_PER_FILE);
  assert.equal(
    problems.at(-1),
    `p.conf: ${500 - MAX_PROBLEMS_PER_FILE + 1} more problems not shown`,
  );
});

Deno.test("a file name with control characters is escaped in every line", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/bad\x1b[31mname.conf`;
    const problems = await safeProblemsOf(
      () => loadConfig(path),
      `${dir}/bad\\u001b[31mname.conf`,
    );
    assert.deepEqual(problems, [
      `${dir}/bad\\u001b[31mname.conf: file not found`,
    ]);
  });
});

Deno.test("BOM: a leading UTF-8 BOM is accepted in both files", async () => {
  await withDir(async (dir) => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const encode = (text: string) =>
      new Uint8Array([...bom, ...new TextEncoder().encode(text)]);
    await Deno.writeFile(`${dir}/p.conf`, encode('[log]\nlevel = "debug"\n'));
    await Deno.writeFile(`${dir}/db.json`, encode(DB_CONFIG));
    const config = await loadConfig(`${dir}/p.conf`);
    assert.equal(config.log.level, "debug");
    const db = await loadDbConfig(`${dir}/db.json`);
    assert.equal(requireDatabases(db, ["STATE_DB"])[0].id, 6);
    // Only one: a second BOM is content, and JSON refuses it.
    await Deno.writeFile(`${dir}/db.json`, encode(`\ufeff${DB_CONFIG}`));
    const problems = await safeProblemsOf(
      () => loadDbConfig(`${dir}/db.json`),
      `${dir}/db.json`,
    );
    assert.deepEqual(problems, [
      `${dir}/db.json:1:1: invalid JSON: unexpected "\\ufeff"; expected a value`,
    ]);
  });
});

Deno.test("bytes that are not UTF-8 are refused with their offset and line", async () => {
  const bytes = new TextEncoder().encode('[log]\nlevel = "x');
  const bad = new Uint8Array([...bytes, 0xff, 0x22, 0x0a]);
  const problems = await safeProblemsOf(
    () => decodeConfigText(bad, { source: "p.conf" }),
    "p.conf",
  );
  assert.deepEqual(problems, [
    `p.conf:2: not valid UTF-8 (byte ${bytes.length} is 0xff)`,
  ]);
  for (
    const sequence of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [
      0xf4,
      0x90,
      0x80,
      0x80,
    ], [0xe2, 0x82]]
  ) {
    const lines = await safeProblemsOf(
      () =>
        decodeConfigText(new Uint8Array([0x61, ...sequence]), {
          source: "p.conf",
        }),
      "p.conf",
    );
    assert.match(lines[0], /^p\.conf:1: not valid UTF-8 \(byte 1 is /);
  }
});

Deno.test("oversized, directory and FIFO files are one line each, never read", async () => {
  await withDir(async (dir) => {
    const big = `${dir}/big.json`;
    await Deno.writeFile(big, new Uint8Array(MAX_CONFIG_BYTES + 1).fill(0x20));
    assert.deepEqual(await safeProblemsOf(() => loadDbConfig(big), big), [
      `${big}: too large (${
        MAX_CONFIG_BYTES + 1
      } bytes; at most ${MAX_CONFIG_BYTES})`,
    ]);
    assert.deepEqual(await safeProblemsOf(() => loadConfig(dir), dir), [
      `${dir}: is a directory`,
    ]);
    const fifo = `${dir}/fifo.conf`;
    const mkfifo = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(mkfifo.success);
    assert.deepEqual(await safeProblemsOf(() => loadConfig(fifo), fifo), [
      `${fifo}: not a regular file`,
    ]);
    assert.deepEqual(
      await safeProblemsOf(() => loadConfig("/dev/zero"), "/dev/zero"),
      ["/dev/zero: not a regular file"],
    );
  });
});

Deno.test("database_config.json: two required databases on one server and number are refused", async () => {
  const data = JSON.parse(DB_CONFIG);
  data.DATABASES.STATE_DB.id = 0;
  const config = parseDbConfigText(JSON.stringify(data), { source: "db.json" });
  const problems = await safeProblemsOf(
    () => requireDatabases(config, ["APPL_DB", "CONFIG_DB", "STATE_DB"]),
    "db.json",
  );
  assert.deepEqual(problems, [
    `db.json: DATABASES.STATE_DB.id: 0 on instance "redis" is APPL_DB's database too; each needs its own`,
  ]);
});

Deno.test("a missing Deno read permission is one line, not a stack trace", async () => {
  const probe = new URL("./permission_probe.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", probe, "/etc/hostname"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const lines = new TextDecoder().decode(output.stdout).trimEnd().split("\n");
  const expected = ["/etc/hostname: not allowed to read (Deno permission)"];
  assert.deepEqual(lines.map((line) => JSON.parse(line)), [
    expected,
    expected,
    expected,
  ]);
});
