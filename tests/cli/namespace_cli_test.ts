/**
 * `--check-config`, a real start and `--monitor` agree on
 * `netlink.namespace`: a path that exists but is not a network namespace is
 * refused by all three, with the same one line.
 * @module
 */

import assert from "node:assert/strict";
import { checkConfig, DB_CONFIG, portsyncd, withDir } from "./run.ts";

/** Paths that exist but are no network namespace (the temp dir is added). */
const NOT_NETNS = ["/etc/passwd", "/proc/self/ns/uts", "/dev/null"];

Deno.test("cli: --check-config, start and --monitor refuse a path that is not a network namespace, with the same line", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/db.json`, DB_CONFIG);
    for (const path of [...NOT_NETNS, dir]) {
      await Deno.writeTextFile(
        `${dir}/p.conf`,
        `[netlink]\nnamespace = "${path}"\n`,
      );
      const line =
        `${dir}/p.conf: netlink.namespace: ${path} is not a network namespace\n`;
      const check = await checkConfig(dir);
      assert.equal(check.code, 1, path);
      assert.equal(check.stderr, line);
      const start = await portsyncd([
        "-c",
        `${dir}/p.conf`,
        "-d",
        `${dir}/db.json`,
        "--store",
        "memory",
      ]);
      assert.equal(start.code, 1, path);
      assert.equal(start.stderr, line);
      const monitor = await portsyncd(["--monitor", "-c", `${dir}/p.conf`]);
      assert.equal(monitor.code, 1, path);
      assert.equal(monitor.stderr, line);
    }
  });
});

Deno.test("cli: --check-config accepts a network namespace given by path", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/db.json`, DB_CONFIG);
    await Deno.writeTextFile(
      `${dir}/p.conf`,
      `[netlink]\nnamespace = "/proc/self/ns/net"\n`,
    );
    const check = await checkConfig(dir);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^portsyncd: configuration OK/);
  });
});
