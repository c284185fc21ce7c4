import assert from "node:assert/strict";
import {
  ConfigError,
  defaultConfig,
  loadConfig,
  loadDbConfig,
  parseConfig,
  parseDbConfig,
  requireDatabases,
} from "../../src/config/mod.ts";

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

async function asyncProblemsOf(
  action: () => Promise<unknown>,
): Promise<string[]> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

const SONIC_DB_CONFIG = {
  INSTANCES: {
    redis: {
      hostname: "127.0.0.1",
      port: 6379,
      unix_socket_path: "/var/run/redis/redis.sock",
    },
    redis_chassis: { hostname: "10.0.0.1", port: 6380 },
  },
  DATABASES: {
    APPL_DB: { id: 0, separator: ":", instance: "redis" },
    ASIC_DB: { id: 1, separator: ":", instance: "redis" },
    CONFIG_DB: { id: 4, separator: "|", instance: "redis" },
    STATE_DB: { id: 6, separator: "|", instance: "redis" },
    CHASSIS_APP_DB: { id: 12, separator: "|", instance: "redis_chassis" },
  },
  VERSION: "1.0",
};

Deno.test("config: empty text gives every default", () => {
  const config = parseConfig("", { source: "empty.toml" });
  assert.deepEqual(config, defaultConfig());
  assert.equal(config.log.level, "info");
  assert.equal(config.netlink.receive_buffer_bytes, 8 * 1024 * 1024);
  assert.equal(config.store.max_pending_writes, 100_000);
});

Deno.test("config: set values are kept and the rest defaulted", () => {
  const config = parseConfig(
    '[log]\nlevel = "debug"\n[netlink]\nreceive_buffer_bytes = 65536\n',
    { source: "a.toml" },
  );
  assert.equal(config.log.level, "debug");
  assert.equal(config.netlink.receive_buffer_bytes, 65536);
  assert.equal(config.netlink.namespace, "");
  assert.equal(config.sync.max_batch, 4096);
});

Deno.test("config: unknown keys are named with their full path", () => {
  const problems = problemsOf(() =>
    parseConfig("typo = 1\n[log]\nlevle = 'info'\n", { source: "b.toml" })
  );
  assert.deepEqual(problems.sort(), [
    "b.toml: log.levle: unknown key",
    "b.toml: typo: unknown key",
  ]);
});

Deno.test("config: wrong types and ranges give one line per key", () => {
  const problems = problemsOf(() =>
    parseConfig(
      '[netlink]\nreceive_buffer_bytes = "big"\n[store]\nmax_pending_writes = 0\n',
      { source: "c.toml" },
    )
  );
  assert.equal(problems.length, 2);
  assert.match(
    problems[0],
    /^c\.toml: netlink\.receive_buffer_bytes: .*number/,
  );
  assert.match(problems[1], /^c\.toml: store\.max_pending_writes: /);
  for (const line of problems) assert.ok(!line.includes("\n"));
});

Deno.test("config: bad log level lists the allowed ones", () => {
  const problems = problemsOf(() =>
    parseConfig('[log]\nlevel = "loud"\n', { source: "d.toml" })
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^d\.toml: log\.level: .*"debug"/);
});

Deno.test("config: TOML syntax errors name file, line and column", () => {
  const problems = problemsOf(() =>
    parseConfig("[log]\nlevel = = 1\n", { source: "e.toml" })
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^e\.toml:2:\d+: invalid TOML: /);
});

Deno.test("config: a missing optional file means defaults, a required one is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/absent.conf`;
    assert.deepEqual(
      await loadConfig(path, { optional: true }),
      defaultConfig(),
    );
    const problems = await asyncProblemsOf(() => loadConfig(path));
    assert.deepEqual(problems, [`${path}: file not found`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("db config: SONiC's file is joined by name, unix socket kept", () => {
  const config = parseDbConfig(SONIC_DB_CONFIG, { source: "db.json" });
  const appl = config.databases.get("APPL_DB")!;
  assert.equal(appl.id, 0);
  assert.equal(appl.separator, ":");
  assert.equal(appl.instance.unixSocketPath, "/var/run/redis/redis.sock");
  const chassis = config.databases.get("CHASSIS_APP_DB")!;
  assert.equal(chassis.instance.unixSocketPath, null);
  assert.equal(chassis.instance.port, 6380);
  const [state] = requireDatabases(config, ["STATE_DB"]);
  assert.equal(state.separator, "|");
});

Deno.test("db config: a separator other than : or | is rejected", () => {
  const bad = structuredClone(SONIC_DB_CONFIG);
  (bad.DATABASES.APPL_DB as { separator: string }).separator = "/";
  const problems = problemsOf(() => parseDbConfig(bad, { source: "db.json" }));
  assert.deepEqual(problems, [
    'db.json: DATABASES.APPL_DB.separator: must be ":" or "|"',
  ]);
});

Deno.test("db config: missing id, hostname and port are each named", () => {
  const bad = JSON.parse(JSON.stringify(SONIC_DB_CONFIG));
  delete bad.DATABASES.STATE_DB.id;
  delete bad.INSTANCES.redis.hostname;
  delete bad.INSTANCES.redis.port;
  const problems = problemsOf(() => parseDbConfig(bad, { source: "db.json" }));
  const paths = problems.map((line) => line.split(": ")[1]).sort();
  assert.deepEqual(paths, [
    "DATABASES.STATE_DB.id",
    "INSTANCES.redis.hostname",
    "INSTANCES.redis.port",
  ]);
});

Deno.test("db config: an unknown instance and a missing database are errors", () => {
  const bad = structuredClone(SONIC_DB_CONFIG);
  bad.DATABASES.ASIC_DB.instance = "nowhere";
  const problems = problemsOf(() => parseDbConfig(bad, { source: "db.json" }));
  assert.deepEqual(problems, [
    'db.json: DATABASES.ASIC_DB.instance: unknown instance "nowhere"',
  ]);
  const config = parseDbConfig(SONIC_DB_CONFIG, { source: "db.json" });
  assert.deepEqual(
    problemsOf(() => requireDatabases(config, ["STATE_DB", "FLEX_DB"])),
    ["db.json: DATABASES.FLEX_DB: missing"],
  );
});

Deno.test("db config: invalid JSON and missing files are one line each", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/database_config.json`;
    await Deno.writeTextFile(path, "{ not json");
    const problems = await asyncProblemsOf(() => loadDbConfig(path));
    assert.equal(problems.length, 1);
    assert.equal(
      problems[0],
      `${path}:1:3: invalid JSON: unexpected "n"; expected a quoted key`,
    );
    await Deno.remove(path);
    assert.deepEqual(await asyncProblemsOf(() => loadDbConfig(path)), [
      `${path}: file not found`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
