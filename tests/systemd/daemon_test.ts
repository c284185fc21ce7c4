/**
 * The real daemon under a fake systemd: a real AF_UNIX datagram socket as
 * `$NOTIFY_SOCKET` (a path, and an abstract name), the real netlink, Redis
 * and namespace of the port-sync rig.
 * @module
 */

import assert from "node:assert/strict";
import { type Rig, rigTest } from "../sync/rig.ts";
import { type DaemonProcess, startDaemon, waitFor } from "../helpers/daemon.ts";
import { listenNotify, type NotifyListener } from "./listener.ts";

/** The systemd test's `WATCHDOG_USEC`: a heartbeat every 100 ms. */
const WATCHDOG_USEC = 200_000;

/** Starts the daemon on the rig with `env`; killed by the caller's finally. */
function startOnRig(
  rig: Rig,
  env: Record<string, string>,
): Promise<DaemonProcess> {
  return startDaemon({
    dbConfigPath: rig.server.dbConfigPath,
    config: `[log]\nlevel = "debug"\n[netlink]\nnamespace = "${rig.ns.name}"\n`,
    env,
  });
}

/** Runs `body` with a listener at a fresh path or abstract name. */
async function withListener(
  kind: "path" | "abstract",
  body: (listener: NotifyListener) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "psd-systemd-" });
  const listener = listenNotify(
    kind === "path"
      ? `${dir}/notify`
      : `@psd-systemd-${Deno.pid}-${crypto.randomUUID()}`,
  );
  try {
    await body(listener);
  } finally {
    await listener.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** `ports N/M up` of a STATUS line. */
function portsUp(text: string): number {
  const match = /STATUS=ports (\d+)\/(\d+) up/.exec(text);
  assert.ok(match !== null, `no STATUS ports in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

/** The process state letter from /proc (T: stopped). */
async function processState(pid: number): Promise<string> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

function watchdogs(listener: NotifyListener): number[] {
  return listener.messages.filter((m) => m.text === "WATCHDOG=1").map((m) =>
    m.at
  );
}

rigTest(
  "systemd: READY after the start-up reconcile, STATUS on change, WATCHDOG cadence, none while stopped, STOPPING then exit 0",
  async (rig) => {
    await withListener("path", async (listener) => {
      const daemon = await startOnRig(rig, {
        NOTIFY_SOCKET: listener.name,
        WATCHDOG_USEC: String(WATCHDOG_USEC),
      });
      const ready = await listener.waitFor(/^READY=1\n/);
      // READY is sent after the reconcile: in the daemon's own log order.
      const readyLine = await daemon.waitForLog(/systemd: READY=1 sent/);
      const reconcileAt = daemon.lines.findIndex((l) =>
        /reconciled STATE_DB/.test(l)
      );
      assert.ok(reconcileAt >= 0, "READY before any reconcile");
      assert.ok(reconcileAt < daemon.lines.indexOf(readyLine));
      // ... and after start-up (PortConfigDone published) is done.
      const startedAt = daemon.lines.findIndex((l) =>
        /portsyncd started/.test(l)
      );
      assert.ok(startedAt >= 0 && startedAt < daemon.lines.indexOf(readyLine));
      assert.equal(
        listener.messages.filter((m) => /READY=1/.test(m.text)).length,
        1,
      );
      const upAtReady = portsUp(ready.text);

      // STATUS on change: a veth pair brought up.
      const from = listener.messages.length;
      await rig.ns.ip("link", "set", "Ethernet0", "up");
      await rig.ns.ip("link", "set", "Ethernet4", "up");
      await listener.waitFor(/^STATUS=ports \d+\/\d+ up/, { from });
      const status = await waitFor(
        "STATUS with two more ports up",
        () =>
          listener.messages.slice(from).find((m) =>
            m.text.startsWith("STATUS=") && portsUp(m.text) === upAtReady + 2
          ),
      );
      assert.match(status!.text, /events\/s/);

      // Cadence: every WATCHDOG_USEC/2 (100 ms), the median gap well under
      // WATCHDOG_USEC (systemd kills the service past it).
      const before = watchdogs(listener).length;
      await waitFor(
        "ten heartbeats",
        () => watchdogs(listener).length >= before + 10,
      );
      const beats = watchdogs(listener).slice(before);
      const gaps = beats.slice(1).map((t, i) => t - beats[i]).sort((a, b) =>
        a - b
      );
      const median = gaps[Math.floor(gaps.length / 2)];
      assert.ok(median > 50 && median < 200, `median gap ${median} ms`);

      // Stopped: the loop does not turn, no heartbeat. Five intervals pass
      // with the process in state T; datagrams sent just before the stop
      // may still be read in the first 100 ms.
      Deno.kill(daemon.pid, "SIGSTOP");
      try {
        await waitFor(
          "the daemon stopped",
          async () => await processState(daemon.pid) === "T",
        );
        const stoppedAt = performance.now();
        await waitFor(
          "five heartbeat intervals",
          () => performance.now() - stoppedAt >= 500,
        );
        assert.equal(await processState(daemon.pid), "T");
        const late = watchdogs(listener).filter((at) => at > stoppedAt + 100);
        assert.deepEqual(late, [], "WATCHDOG=1 while stopped");
      } finally {
        Deno.kill(daemon.pid, "SIGCONT");
      }
      const resumed = listener.messages.length;
      await listener.waitFor(/^WATCHDOG=1$/, { from: resumed });
      await listener.waitFor(/^WATCHDOG=1$/, {
        from: listener.messages.findLastIndex((m) => m.text === "WATCHDOG=1") +
          1,
      });

      const stopFrom = listener.messages.length;
      const { code } = await daemon.stop("SIGTERM");
      assert.equal(code, 0);
      await listener.waitFor(/^STOPPING=1/, { from: stopFrom });
    });
  },
);

rigTest(
  "systemd: an abstract NOTIFY_SOCKET gets READY and STOPPING; WATCHDOG_PID of another process turns the heartbeat off",
  async (rig) => {
    await withListener("abstract", async (listener) => {
      const daemon = await startOnRig(rig, {
        NOTIFY_SOCKET: listener.name,
        WATCHDOG_USEC: String(WATCHDOG_USEC),
        WATCHDOG_PID: "1",
      });
      const ready = await listener.waitFor(
        /^READY=1\nSTATUS=ports \d+\/\d+ up/,
      );
      // Long enough for many heartbeats: a STATUS change (checked each 1 s).
      const from = listener.messages.length;
      await rig.ns.ip("link", "set", "Ethernet0", "up");
      await rig.ns.ip("link", "set", "Ethernet4", "up");
      await waitFor(
        "STATUS with two more ports up",
        () =>
          listener.messages.slice(from).find((m) =>
            m.text.startsWith("STATUS=") &&
            portsUp(m.text) === portsUp(ready.text) + 2
          ),
      );
      const { code } = await daemon.stop("SIGTERM");
      assert.equal(code, 0);
      await listener.waitFor(/^STOPPING=1/);
      assert.deepEqual(watchdogs(listener), []);
    });
  },
);

rigTest(
  "systemd: a second SIGTERM while shutdown waits on a hung Redis exits at once",
  async (rig) => {
    await withListener("path", async (listener) => {
      const daemon = await startOnRig(rig, { NOTIFY_SOCKET: listener.name });
      await listener.waitFor(/^READY=1\n/);
      // A hung Redis: the link change's commands stay unanswered, so the
      // shutdown would wait for its deadline.
      rig.server.pause();
      try {
        await rig.ns.ip("link", "set", "Ethernet0", "up");
        await rig.ns.ip("link", "set", "Ethernet4", "up");
        Deno.kill(daemon.pid, "SIGTERM");
        await listener.waitFor(/^STOPPING=1/);
        const { code } = await daemon.stop("SIGTERM");
        const line = await daemon.waitForLog(/SIGTERM again: exiting at once/);
        const pending = Number(/pending_writes=(\d+)/.exec(line)?.[1]);
        assert.ok(pending > 0, line);
        assert.equal(code, 1);
        assert.ok(
          !daemon.lines.some((l) => /shutdown deadline passed/.test(l)),
          "waited for the shutdown deadline",
        );
      } finally {
        rig.server.resume();
      }
    });
  },
);
