/**
 * The watched namespace going away under the daemon: deleted, or replaced
 * by a new namespace of the same name. The daemon logs one error line
 * naming it and exits 1 so the service manager restarts it.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { rigTest } from "../sync/rig.ts";
import {
  describeNetnsChange,
  type NetnsChange,
  watchNetns,
} from "../../src/daemon/netns_watch.ts";
import type { FileIdentity } from "../../src/netlink/netns.ts";

const STARTED: FileIdentity = { dev: 4n, ino: 4026532000n };

/** Runs a watch over a scripted `stat` until it reports, then stops it. */
async function firstChange(
  answers: (FileIdentity | null)[],
): Promise<{ change: NetnsChange; calls: number }> {
  let calls = 0;
  let change: NetnsChange | null = null;
  const watch = watchNetns("/run/netns/x", STARTED, {
    intervalMs: 5,
    stat: () => answers[Math.min(calls++, answers.length - 1)],
    onChange: (seen) => change = seen,
  });
  try {
    await waitFor("the watch to report", () => change !== null);
  } finally {
    watch.stop();
  }
  return { change: change!, calls };
}

Deno.test("netns watch: the same identity is quiet, a missing file is deleted", async () => {
  const { change, calls } = await firstChange([STARTED, STARTED, null]);
  assert.deepEqual(change, { kind: "deleted" });
  assert.equal(calls, 3);
});

Deno.test("netns watch: another identity at the path is replaced", async () => {
  const now = { dev: 4n, ino: 4026532999n };
  const { change } = await firstChange([STARTED, now]);
  assert.deepEqual(change, { kind: "replaced", now });
  assert.equal(
    describeNetnsChange(change, { namespace: "x", path: "/run/netns/x" }),
    "network namespace x (/run/netns/x) was replaced by another namespace (now 4:4026532999); exiting so that the service manager restarts portsyncd",
  );
});

rigTest(
  "daemon: the watched namespace deleted under it → one error line, exit 1",
  async (rig) => {
    const daemon = await rig.startReady();
    const name = rig.ns.name;
    await rig.ns.destroy();
    const { code } = await daemon.status;
    assert.equal(code, 1);
    const errors = daemon.lines.filter((line) => line.startsWith("ERROR"));
    assert.deepEqual(errors, [
      `ERROR network namespace ${name} (/run/netns/${name}) was deleted; exiting so that the service manager restarts portsyncd`,
    ]);
  },
);

rigTest(
  "daemon: the watched namespace replaced by a new one of the same name → exit 1",
  async (rig) => {
    const daemon = await rig.startReady();
    const name = rig.ns.name;
    // Delete and re-add in one go; the rig's clean-up deletes the new one.
    const replaced = await new Deno.Command("sh", {
      args: ["-c", `ip netns del ${name} && ip netns add ${name}`],
    }).output();
    assert.ok(replaced.success);
    const { code } = await daemon.status;
    assert.equal(code, 1);
    const errors = daemon.lines.filter((line) => line.startsWith("ERROR"));
    // The 1 s check lands after the re-add nearly always; in the moment
    // between the two commands it sees the deletion, also a correct report.
    assert.equal(errors.length, 1, daemon.lines.join("\n"));
    assert.match(
      errors[0],
      new RegExp(
        `^ERROR network namespace ${name} \\(/run/netns/${name}\\) was (replaced by another namespace \\(now \\d+:\\d+\\)|deleted); exiting`,
      ),
    );
  },
);
