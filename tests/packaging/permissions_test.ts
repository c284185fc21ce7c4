/**
 * The narrow permission set (`src/daemon/permissions.ts`) is enough: the
 * real daemon, run with exactly those flags plus its temp dirs, reconciles,
 * syncs a link change to STATE_DB and serves /metrics; and without
 * `--allow-ffi` it stops with the one-line permission message.
 * @module
 */

import assert from "node:assert/strict";
import { startDaemon, waitFor } from "../helpers/daemon.ts";
import { rigTest, waitForConvergence } from "../sync/rig.ts";
import { freePort } from "../metrics/free_port.ts";
import { permissionFlags } from "../../src/daemon/permissions.ts";

Deno.test("permissionFlags: no --allow-all, scoped read/write, extra paths added", () => {
  const flags = permissionFlags({ readWrite: ["/tmp/x"] });
  assert.ok(!flags.includes("--allow-all") && !flags.includes("-A"));
  const write = flags.find((flag) => flag.startsWith("--allow-write="))!;
  assert.ok(
    write.split("=")[1].split(",").includes("/var/lib/sonic/portsyncd"),
  );
  assert.ok(write.split("=")[1].split(",").includes("/tmp/x"));
  const read = flags.find((flag) => flag.startsWith("--allow-read="))!;
  assert.ok(read.includes("/run/netns"));
  assert.ok(!write.includes("/run/netns"));
  assert.ok(flags.includes("--allow-ffi"));
  assert.throws(
    () => permissionFlags({ readWrite: ["/a,b"] }),
    /unusable path/,
  );
});

rigTest(
  "narrow permissions: the daemon reconciles, syncs a link change and serves /metrics",
  async (rig) => {
    const listen = `127.0.0.1:${freePort()}`;
    const daemon = await startDaemon({
      dbConfigPath: rig.server.dbConfigPath,
      config:
        `[log]\nlevel = "debug"\n[netlink]\nnamespace = "${rig.ns.name}"\n` +
        `[metrics]\nlisten = "${listen}"\n`,
      permissions: (dir) =>
        permissionFlags({ readWrite: [dir, rig.server.dir] }),
    });
    try {
      await daemon.waitForLog(/reconciled STATE_DB/);
      await rig.consume();
      await daemon.waitForLog(/PortInitDone published/);
      await rig.ns.ipBatch([
        "link set Ethernet0 up",
        "link set Ethernet0 mtu 4000",
      ]);
      const kernel = await waitForConvergence(rig);
      assert.equal(kernel.get("Ethernet0")?.mtu, "4000");
      assert.equal((await rig.stateOf("Ethernet0")).mtu, "4000");
      await daemon.waitForLog(/metrics endpoint listening/);
      const text = await waitFor("a /metrics scrape", async () => {
        const response = await fetch(`http://${listen}/metrics`);
        const body = await response.text();
        return response.status === 200 ? body : null;
      });
      assert.match(text!, /^portsyncd_events_total \d+/m);
      assert.ok(
        !daemon.lines.some((line) => /missing permission/.test(line)),
        daemon.lines.join("\n"),
      );
      const { code } = await daemon.stop("SIGTERM");
      assert.equal(code, 0, daemon.lines.join("\n"));
    } finally {
      if (!daemon.exited) await daemon.stop("SIGKILL");
    }
  },
);

rigTest(
  "narrow permissions: without --allow-ffi the daemon stops with one line",
  async (rig) => {
    const daemon = await startDaemon({
      dbConfigPath: rig.server.dbConfigPath,
      config: `[netlink]\nnamespace = "${rig.ns.name}"\n`,
      permissions: (dir) =>
        permissionFlags({ readWrite: [dir, rig.server.dir] }).filter((flag) =>
          !flag.startsWith("--allow-ffi")
        ),
    });
    const status = await daemon.status;
    assert.equal(status.code, 1);
    assert.ok(
      daemon.lines.some((line) =>
        /^portsyncd: missing permission: ffi access .*--allow-ffi/.test(line)
      ),
      daemon.lines.join("\n"),
    );
  },
);
