import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/args.ts";
import { checkConfig, DB_CONFIG, portsyncd, withDir } from "./run.ts";

Deno.test("cli: defaults match SONiC's paths", () => {
  const options = parseCommandLine([]);
  assert.equal(options.config, "/etc/sonic/portsyncd.conf");
  assert.equal(options.configExplicit, false);
  assert.equal(
    options.dbConfig,
    "/var/run/redis/sonic-db/database_config.json",
  );
  assert.equal(options.store, "redis");
  assert.equal(options.logLevel, null);
});

Deno.test("cli: usage errors exit 2 and name the option", async () => {
  const bad = await portsyncd(["--store", "sqlite"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--store.*sqlite/);
  const unknown = await portsyncd(["--frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--frobnicate'/);
});

Deno.test("cli: --version and --help exit 0", async () => {
  const version = await portsyncd(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  const help = await portsyncd(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--check-config/);
});

Deno.test("cli: --check-config on valid files prints one line and exits 0", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/db.json`, DB_CONFIG);
    await Deno.writeTextFile(`${dir}/p.conf`, '[log]\nlevel = "debug"\n');
    const run = await portsyncd([
      "--check-config",
      "--config",
      `${dir}/p.conf`,
      "--db-config",
      `${dir}/db.json`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1);
    assert.match(lines[0], /configuration OK/);
    assert.match(
      lines[0],
      /APPL_DB=0 CONFIG_DB=4 STATE_DB=6 via tcp:127\.0\.0\.1:6379/,
    );
  });
});

Deno.test("cli: --check-config reports every problem of both files and exits 1", async () => {
  await withDir(async (dir) => {
    const db = JSON.parse(DB_CONFIG);
    db.DATABASES.STATE_DB.separator = ";";
    await Deno.writeTextFile(`${dir}/db.json`, JSON.stringify(db));
    await Deno.writeTextFile(
      `${dir}/p.conf`,
      "[sync]\nmax_batch = -1\nfoo = 1\n",
    );
    const run = await checkConfig(dir);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trimEnd().split("\n").sort();
    assert.deepEqual(
      lines.map((line) => line.split(": ").slice(0, 2).join(": ")),
      [
        `${dir}/db.json: DATABASES.STATE_DB.separator`,
        `${dir}/p.conf: sync.foo`,
        `${dir}/p.conf: sync.max_batch`,
      ],
    );
  });
});

Deno.test("cli: an explicit missing config is an error, the default one is not", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/db.json`, DB_CONFIG);
    const explicit = await portsyncd([
      "--check-config",
      "-c",
      `${dir}/absent.conf`,
      "-d",
      `${dir}/db.json`,
    ]);
    assert.equal(explicit.code, 1);
    assert.equal(explicit.stderr.trim(), `${dir}/absent.conf: file not found`);
    const implicit = await portsyncd([
      "--check-config",
      "-d",
      `${dir}/db.json`,
    ]);
    assert.equal(implicit.code, 0, implicit.stderr);
    assert.match(implicit.stdout, /absent: defaults/);
  });
});

const HOST_HAS_DB_CONFIG = (() => {
  try {
    Deno.statSync("/var/run/redis/sonic-db/database_config.json");
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "cli: --store memory uses SONiC's built-in layout when no db config exists",
  ignore: HOST_HAS_DB_CONFIG,
  fn: async () => {
    const run = await portsyncd(["--check-config", "--store", "memory"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /built-in database config.*store memory/);
    const redis = await portsyncd(["--check-config"]);
    assert.equal(redis.code, 1);
    assert.match(redis.stderr, /database_config\.json: file not found/);
  },
});

Deno.test("cli: --check-config names a network namespace that does not exist", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/db.json`, DB_CONFIG);
    await Deno.writeTextFile(
      `${dir}/p.conf`,
      `[netlink]\nnamespace = "${dir}/no-such-ns"\n`,
    );
    const run = await checkConfig(dir);
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr.trim(),
      `${dir}/p.conf: netlink.namespace: no network namespace at ${dir}/no-such-ns`,
    );
  });
});
