/**
 * `portsyncd --monitor` as operators run it: the real binary entry, on the
 * namespace named in the config file, stopped with SIGINT.
 * @module
 */

import assert from "node:assert/strict";
import { netnsSkipReason, withVeth } from "../helpers/netns.ts";
import { MONITOR_FIELDS } from "../netlink/fixtures.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

Deno.test({
  name:
    "cli: --monitor prints the configured namespace's links as JSON lines, survives SIGHUP and exits 0 on SIGINT",
  ignore: netnsSkipReason() !== null,
  fn: () =>
    withVeth(async (ns) => {
      const dir = await Deno.makeTempDir({ prefix: "portsyncd-monitor-" });
      try {
        await Deno.writeTextFile(
          `${dir}/p.conf`,
          `[netlink]\nnamespace = "${ns.name}"\n`,
        );
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--allow-all",
            MAIN,
            "--monitor",
            "-c",
            `${dir}/p.conf`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        // stderr, and a promise for the SIGHUP note on it.
        let stderr = "";
        const hupNoted = (async () => {
          for await (
            const chunk of child.stderr.pipeThrough(new TextDecoderStream())
          ) {
            stderr += chunk;
            if (stderr.includes("SIGHUP")) break;
          }
        })();
        let signalled = false;
        // A monitor that never prints the pair is killed, and the test fails.
        const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
        const lines: Record<string, unknown>[] = [];
        let rest = "";
        for await (
          const chunk of child.stdout.pipeThrough(new TextDecoderStream())
        ) {
          const parts = (rest + chunk).split("\n");
          rest = parts.pop()!;
          lines.push(...parts.map((line) => JSON.parse(line)));
          const names = lines.map((line) => line.name);
          const both = names.includes("Ethernet0") &&
            names.includes("Ethernet4");
          if (both && !signalled) {
            signalled = true;
            // SIGHUP is noted and survived; then SIGINT stops it.
            child.kill("SIGHUP");
            await hupNoted;
            child.kill("SIGINT");
          }
        }
        const status = await child.status;
        clearTimeout(guard);
        assert.equal(status.code, 0, JSON.stringify(lines));
        assert.equal(
          stderr,
          "WARN SIGHUP: nothing to reload (no running daemon); ignored\n",
        );
        const ethernet0 = lines.find((line) => line.name === "Ethernet0")!;
        assert.deepEqual(Object.keys(ethernet0), MONITOR_FIELDS);
        assert.equal(ethernet0.type, "newlink");
        assert.equal(ethernet0.kind, "veth");
        assert.equal(ethernet0.admin, "down");
        // Only the namespace's links: lo and the veth pair.
        assert.deepEqual(lines.map((line) => line.name).sort(), [
          "Ethernet0",
          "Ethernet4",
          "lo",
        ]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});
