/**
 * The real daemon, real kernel links in a private namespace and a real
 * Redis: the state file written by a cold run, then a warm restart over a
 * corrupted state file that runs, counts and logs the corruption once,
 * recovers the previous copy and counts the unchanged ports as recovered.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { rigTest } from "../sync/rig.ts";
import {
  decodeState,
  type StateBody,
  stateFileName,
} from "../../src/warm_restart/state_codec.ts";

async function readBody(path: string): Promise<StateBody> {
  const decoded = decodeState(await Deno.readTextFile(path));
  assert.ok(decoded.ok, `${path}: ${JSON.stringify(decoded)}`);
  return decoded.body;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

rigTest(
  "warm restart: a daemon restarted over a corrupted state file runs, counts it, and recovers the unchanged ports",
  async (rig) => {
    const dir = await Deno.makeTempDir({ prefix: "portsyncd-warm-daemon-" });
    try {
      const toml = `\n[warm_restart]\nstate_dir = "${dir}"\n`;
      const path = `${dir}/${stateFileName(rig.ns.name)}`;

      const cold = await rig.startReady({ toml });
      await cold.waitForLog(/start-up link dump complete \(EOIU\) start=cold/);
      assert.equal((await cold.stop("SIGTERM")).code, 0);
      const saved = await readBody(path);
      assert.equal(saved.namespace, rig.ns.name);
      assert.equal(saved.metrics.cold_starts, 1);
      assert.equal(saved.metrics.eoiu_detected, 1);
      const names = saved.ports.map((port) => port.name);
      for (const port of ["Ethernet0", "Ethernet4", "Ethernet8"]) {
        assert.ok(names.includes(port), `${port} saved: ${names}`);
      }
      assert.ok(
        saved.ports.every((port) => port.admin === "down"),
        "saved as the kernel has them",
      );
      // The save after EOIU became the previous copy at shutdown.
      const previous = await readBody(`${path}.prev`);
      assert.deepEqual(previous.ports, saved.ports);

      // While portsyncd is down: the file is cut short, Ethernet0 changes.
      const text = await Deno.readTextFile(path);
      await Deno.writeTextFile(path, text.slice(0, text.length >> 1));
      await rig.ns.ipBatch(["link set Ethernet0 mtu 2000"]);
      await rig.state.hset("WARM_RESTART_ENABLE_TABLE|system", {
        enable: "true",
      });

      const warm = await rig.start({ toml });
      const corrupt = await warm.waitForLog(
        /warm-restart state file is corrupt/,
      );
      assert.match(
        corrupt,
        new RegExp(
          `^WARN warm-restart state file is corrupt file=${
            escape(path)
          } problem="not valid JSON \\(truncated or garbage\\): .*" recovered_from=${
            escape(path)
          }\\.prev$`,
        ),
      );
      await warm.waitForLog(/warm start/);
      const compared = await warm.waitForLog(
        /warm start: saved port states compared/,
      );
      assert.equal(
        compared,
        `INFO warm start: saved port states compared compared=${names.length} recovered=${
          names.length - 1
        } changed=Ethernet0`,
      );
      // It runs: a link change is followed.
      await rig.ns.ipBatch(["link set Ethernet12 up"]);
      await waitFor(
        "Ethernet12 admin up in STATE_DB",
        async () => (await rig.stateOf("Ethernet12")).admin_status === "up",
      );
      assert.equal((await warm.stop("SIGTERM")).code, 0);
      assert.equal(
        warm.lines.filter((line) => /state file is corrupt/.test(line))
          .length,
        1,
        "logged once",
      );

      const after = await readBody(path);
      assert.deepEqual(
        {
          cold_starts: after.metrics.cold_starts,
          warm_restarts: after.metrics.warm_restarts,
          eoiu_detected: after.metrics.eoiu_detected,
          state_reads: after.metrics.state_reads,
          corruptions_detected: after.metrics.corruptions_detected,
          recovery_checks: after.metrics.recovery_checks,
          state_recoveries: after.metrics.state_recoveries,
        },
        {
          cold_starts: 1,
          warm_restarts: 1,
          eoiu_detected: 2,
          state_reads: 2,
          corruptions_detected: 1,
          recovery_checks: names.length,
          state_recoveries: names.length - 1,
        },
      );
      assert.equal(
        after.ports.find((port) => port.name === "Ethernet0")?.mtu,
        2000,
      );
      assert.equal(
        after.ports.find((port) => port.name === "Ethernet12")?.admin,
        "up",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

rigTest(
  "warm restart: an unwritable state directory is one log line and the daemon runs",
  async (rig) => {
    const dir = await Deno.makeTempDir({ prefix: "portsyncd-warm-daemon-" });
    try {
      await Deno.writeTextFile(`${dir}/not-a-dir`, "");
      const daemon = await rig.startReady({
        toml: `\n[warm_restart]\nstate_dir = "${dir}/not-a-dir/state"\n`,
      });
      await rig.ns.ipBatch(["link set Ethernet4 up"]);
      await waitFor(
        "Ethernet4 admin up in STATE_DB",
        async () => (await rig.stateOf("Ethernet4")).admin_status === "up",
      );
      assert.equal((await daemon.stop("SIGTERM")).code, 0);
      const errors = daemon.lines.filter((line) =>
        line.includes("warm-restart state file")
      );
      assert.equal(errors.length, 1, errors.join("\n"));
      assert.match(
        errors[0],
        /^ERROR cannot write the warm-restart state file; running without it file=\S+\/not-a-dir\/state\/ports-\S+\.json error="Not a directory/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
