/**
 * A Deno permission the daemon lacks is one line naming it and the flag
 * that grants it, exit 1, never a stack trace.
 * @module
 */

import assert from "node:assert/strict";
import { DB_CONFIG, portsyncd, withDir } from "./run.ts";
import { permissionProblem } from "../../src/cli/permission.ts";

Deno.test("cli: without --allow-ffi the daemon prints one permission line and exits 1", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/db.json`, DB_CONFIG);
    await Deno.writeTextFile(`${dir}/p.conf`, "");
    const run = await portsyncd(
      ["-c", `${dir}/p.conf`, "-d", `${dir}/db.json`, "--store", "memory"],
      {
        permissions: [
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-net",
          "--allow-sys",
        ],
      },
    );
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'portsyncd: missing permission: ffi access to "libc.so.6" (run with --allow-ffi)\n',
    );
  });
});

Deno.test("cli: a permission error found in a cause chain is still one line", () => {
  const denied = new Deno.errors.NotCapable(
    'Requires net access to "127.0.0.1:6379", run again with the --allow-net flag',
  );
  const wrapped = new Error("redis APPL_DB: connect failed", { cause: denied });
  assert.equal(
    permissionProblem(wrapped),
    'portsyncd: missing permission: net access to "127.0.0.1:6379" (run with --allow-net)',
  );
  assert.equal(
    permissionProblem(new Deno.errors.PermissionDenied("open /run/x: EACCES")),
    "portsyncd: permission denied: open /run/x: EACCES",
  );
  assert.equal(permissionProblem(new Error("something else")), null);
});
