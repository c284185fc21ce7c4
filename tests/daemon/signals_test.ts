/**
 * Signals sent to the real daemon: none opens a debugger, none kills it,
 * it keeps syncing, and SIGTERM still stops it cleanly.
 * @module
 */

import assert from "node:assert/strict";
import { waitFor } from "../helpers/daemon.ts";
import { rigTest } from "../sync/rig.ts";
import { ignoredSignals, processAgeMs, tcpListeners } from "./proc.ts";

const SIGUSR1 = 10;
const SIGPIPE = 13;

/** Each signal, with the log line it must produce (null: silently ignored). */
const SIGNALS: [Deno.Signal, RegExp | null][] = [
  ["SIGUSR1", null],
  ["SIGUSR2", /^WARN SIGUSR2: ignored$/],
  // An unchanged file reloads with nothing changed.
  ["SIGHUP", /^NOTICE configuration reloaded from \S+ changed=nothing$/],
  ["SIGQUIT", /^WARN SIGQUIT: ignored$/],
  ["SIGPIPE", null],
  // Again, now that the inspector trigger has certainly been armed.
  ["SIGUSR1", null],
];

rigTest(
  "daemon: USR1, USR2, HUP, QUIT and PIPE open no debugger and stop nothing; it still syncs; SIGTERM exits 0",
  async (rig) => {
    const daemon = await rig.startReady();
    // Deno arms its SIGUSR1 inspector trigger 500 ms after start.
    await waitFor(
      "the daemon to be older than 1 s",
      async () => await processAgeMs(daemon.pid) > 1000,
    );
    const ignored = await ignoredSignals(daemon.pid);
    assert.ok(ignored.has(SIGUSR1), "SIGUSR1 is set to SIG_IGN");
    assert.ok(ignored.has(SIGPIPE), "SIGPIPE is set to SIG_IGN");

    for (const [signal, line] of SIGNALS) {
      const from = daemon.lines.length;
      Deno.kill(daemon.pid, signal);
      if (line !== null) await daemon.waitForLog(line, { from });
      assert.equal(daemon.exited, false, `the daemon survived ${signal}`);
    }

    await rig.ns.ip("link", "set", "Ethernet0", "up");
    await waitFor(
      "Ethernet0 admin up in STATE_DB after the signals",
      async () => (await rig.stateOf("Ethernet0")).admin_status === "up",
    );
    assert.equal(daemon.exited, false);
    assert.deepEqual(await tcpListeners(daemon.pid), []);
    assert.ok(
      !daemon.lines.some((line) => /Debugger listening|inspector/i.test(line)),
      daemon.lines.join("\n"),
    );

    const { code, ms } = await daemon.stop("SIGTERM");
    assert.equal(code, 0, `exit ${code} ${Math.round(ms)} ms after SIGTERM`);
    assert.ok(
      daemon.lines.some((line) => line === "INFO SIGTERM: shutting down"),
    );
  },
);
