/**
 * One portsyncd per network namespace: a second one is refused with one
 * line naming the lock file and the holder's pid (also when it names the
 * namespace by another path), a SIGKILLed holder does not block the next
 * start, and `--check-config` / `--monitor` take no lock.
 * @module
 */

import assert from "node:assert/strict";
import { type DaemonProcess, startDaemon } from "../helpers/daemon.ts";
import { type Rig, rigTest } from "../sync/rig.ts";
import { portsyncd } from "../cli/run.ts";
import { LockHeldError, lockNamespace } from "../../src/daemon/lock.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** `stat -L -c %d-%i`: the namespace file's st_dev and st_ino. */
async function statIdentity(path: string): Promise<string> {
  const output = await new Deno.Command("stat", {
    args: ["-L", "-c", "%d-%i", path],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).trim();
}

/** Runs `body` with a lock directory that does not exist yet (its parent is removed after). */
async function withLockDir(
  body: (lockDir: string) => Promise<void>,
): Promise<void> {
  const parent = await Deno.makeTempDir({ prefix: "portsyncd-lock-" });
  try {
    await body(`${parent}/run/portsyncd`);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

/** The config table that puts the namespace lock in `lockDir`. */
function lockToml(lockDir: string): string {
  return `[daemon]\nlock_dir = "${lockDir}"\n`;
}

/** A daemon on the rig's namespace given by its path (not its name). */
function startByPath(rig: Rig, lockDir: string): Promise<DaemonProcess> {
  return startDaemon({
    dbConfigPath: rig.server.dbConfigPath,
    config: `[netlink]\nnamespace = "${rig.ns.path}"\n` + lockToml(lockDir),
  });
}

/** The first daemon, ready, holding its lock in `lockDir`; and that lock file. */
async function startHolder(
  rig: Rig,
  lockDir: string,
): Promise<{ first: DaemonProcess; lockFile: string }> {
  const first = await rig.startReady({ toml: lockToml(lockDir) });
  const identity = await statIdentity(rig.ns.path);
  return { first, lockFile: `${lockDir}/netns-${identity}.lock` };
}

/** Starts `--monitor` on `config`, waits for its first JSON line, stops it with SIGINT. */
async function monitorOnce(
  config: string,
): Promise<{ code: number; first: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "--monitor", "-c", config],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let first = "";
  // A monitor that never prints is killed, and the test fails.
  const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    if (first === "") {
      first = chunk.split("\n")[0];
      child.kill("SIGINT");
    }
  }
  clearTimeout(guard);
  return { code: (await child.status).code, first };
}

rigTest(
  "lock: a second portsyncd on the namespace is refused with the lock file and the holder's pid",
  (rig) =>
    withLockDir(async (lockDir) => {
      const { first, lockFile } = await startHolder(rig, lockDir);
      assert.equal((await Deno.stat(lockDir)).mode! & 0o777, 0o755);
      assert.equal((await Deno.readTextFile(lockFile)).trim(), `${first.pid}`);

      const second = await startByPath(rig, lockDir);
      try {
        const { code } = await second.status;
        assert.equal(code, 1);
        assert.deepEqual(second.lines.filter((line) => line !== ""), [
          `portsyncd: another portsyncd (pid ${first.pid}) holds ${lockFile} for network namespace ${rig.ns.path}`,
        ]);
      } finally {
        await second.stop("SIGKILL");
      }
      assert.equal(first.exited, false);
      assert.equal((await Deno.readTextFile(lockFile)).trim(), `${first.pid}`);
    }),
);

rigTest(
  "lock: a SIGKILLed holder's file does not block the next portsyncd; a clean stop removes it",
  (rig) =>
    withLockDir(async (lockDir) => {
      const { first, lockFile } = await startHolder(rig, lockDir);
      assert.equal((await first.stop("SIGKILL")).code, 137);
      // The stale file is still there, naming the dead holder.
      assert.equal((await Deno.readTextFile(lockFile)).trim(), `${first.pid}`);
      const next = await startByPath(rig, lockDir);
      try {
        await next.waitForLog(/^INFO portsyncd started .*lock=/);
        assert.equal(
          (await Deno.readTextFile(lockFile)).trim(),
          `${next.pid}`,
        );
        assert.equal((await next.stop("SIGTERM")).code, 0);
        await assert.rejects(Deno.stat(lockFile), Deno.errors.NotFound);
      } finally {
        await next.stop("SIGKILL");
      }
    }),
);

rigTest(
  "lock: --check-config and --monitor take no lock while a daemon runs",
  (rig) =>
    withLockDir(async (lockDir) => {
      const toml = lockToml(lockDir);
      await rig.startReady({ toml });
      const config = `${lockDir}/../portsyncd.conf`;
      await Deno.writeTextFile(
        config,
        `[netlink]\nnamespace = "${rig.ns.name}"\n${toml}`,
      );
      const check = await portsyncd([
        "-c",
        config,
        "--check-config",
        "-d",
        rig.server.dbConfigPath,
      ]);
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout, /^portsyncd: configuration OK/);
      // A refused monitor would exit 1 before printing anything.
      const monitor = await monitorOnce(config);
      assert.equal(monitor.code, 0);
      assert.match(monitor.first, /^\{"type":"newlink"/);
    }),
);

Deno.test("lock: in one process, a second open of the same lock file is refused with our pid; release frees it", async () => {
  await withLockDir(async (lockDir) => {
    const identity = { dev: 4n, ino: 4026531999n };
    const first = lockNamespace(identity, { dir: lockDir, namespace: "x" });
    try {
      assert.equal(first.path, `${lockDir}/netns-4-4026531999.lock`);
      assert.equal((await Deno.stat(lockDir)).mode! & 0o777, 0o755);
      assert.throws(
        () => lockNamespace(identity, { dir: lockDir, namespace: "x" }),
        (error: unknown) =>
          error instanceof LockHeldError && error.pid === Deno.pid &&
          error.message ===
            `another portsyncd (pid ${Deno.pid}) holds ${first.path} for network namespace x`,
      );
    } finally {
      first.release();
    }
    await assert.rejects(Deno.stat(first.path), Deno.errors.NotFound);
    const again = lockNamespace(identity, { dir: lockDir, namespace: "x" });
    again.release();
    again.release();
  });
});
