/**
 * The real daemon's configuration reload (SIGHUP), its live log level
 * (CONFIG_DB `LOGGER|portsyncd` `LOGLEVEL` in a real Redis) and its syslog
 * output on a test datagram socket.
 * @module
 */

import assert from "node:assert/strict";
import { type DaemonProcess, startDaemon, waitFor } from "../helpers/daemon.ts";
import { type Rig, rigTest } from "../sync/rig.ts";
import { bindSyslogReceiver } from "../log/syslog_receiver.ts";

const RULE = `
[[alerting.rules]]
id = "reload_any_port_down"
metric = "ports_oper_down"
condition = "above"
threshold = 0
severity = "warning"
description = "{{value}} port(s) down"
`;

/** The daemon's `--config` path, read from its command line. */
async function configPath(daemon: DaemonProcess): Promise<string> {
  const args = (await Deno.readTextFile(`/proc/${daemon.pid}/cmdline`))
    .split("\0");
  return args[args.indexOf("--config") + 1];
}

/** Toggles Ethernet0 and waits until STATE_DB shows it (a handled batch). */
async function flap(rig: Rig, admin: "up" | "down"): Promise<void> {
  await rig.ns.ip("link", "set", "Ethernet0", admin);
  await waitFor(
    `Ethernet0 admin ${admin} in STATE_DB`,
    async () => (await rig.stateOf("Ethernet0")).admin_status === admin,
  );
}

/** Lines from `from` on at `level`. */
function linesAt(daemon: DaemonProcess, level: string, from: number): string[] {
  return daemon.lines.slice(from).filter((line) =>
    line.startsWith(`${level} `)
  );
}

rigTest(
  "reload: SIGHUP applies a new log level and file alert rule, names what needs a restart, and keeps syncing",
  async (rig) => {
    const daemon = await rig.startReady();
    const path = await configPath(daemon);
    let from = daemon.lines.length;
    await flap(rig, "up");
    await daemon.waitForLog(/^DEBUG link batch/, { from });
    assert.equal(
      (await rig.appl.scan("PORTSYNCD_ALERT_TABLE:reload_*")).length,
      0,
    );

    const old = await Deno.readTextFile(path);
    assert.match(old, /level = "debug"/);
    await Deno.writeTextFile(
      path,
      old.replace('level = "debug"', 'level = "info"') +
        `\n[metrics]\nlisten = "127.0.0.1:1"\n${RULE}`,
    );
    from = daemon.lines.length;
    Deno.kill(daemon.pid, "SIGHUP");
    await daemon.waitForLog(
      new RegExp(
        `^NOTICE configuration reloaded from ${path} changed=log.level,alerting.rules$`,
      ),
      { from },
    );
    await daemon.waitForLog(
      /^WARN configuration reload: metrics.listen changed but needs a restart; the old value is kept$/,
      { from },
    );
    // The new rule is active: some ports are down, so it fires.
    await waitFor(
      "reload_any_port_down firing in APPL_DB",
      async () =>
        (await rig.appl.hgetall("PORTSYNCD_ALERT_TABLE:reload_any_port_down"))
          .state === "firing",
    );
    // Debug lines stop: a handled batch logs none now.
    from = daemon.lines.length;
    await flap(rig, "down");
    await flap(rig, "up");
    assert.deepEqual(linesAt(daemon, "DEBUG", from), []);
    assert.equal(daemon.exited, false);

    // Back to debug: they return.
    await Deno.writeTextFile(path, old);
    from = daemon.lines.length;
    Deno.kill(daemon.pid, "SIGHUP");
    await daemon.waitForLog(
      /^NOTICE configuration reloaded from .* changed=log.level,alerting.rules$/,
      { from },
    );
    await flap(rig, "down");
    await daemon.waitForLog(/^DEBUG link batch/, { from });
    const { code } = await daemon.stop("SIGTERM");
    assert.equal(code, 0);
  },
);

rigTest(
  "reload: an invalid new file is one line; the old configuration stays and the daemon still syncs",
  async (rig) => {
    const daemon = await rig.startReady();
    const path = await configPath(daemon);
    const old = await Deno.readTextFile(path);
    await Deno.writeTextFile(
      path,
      old.replace('level = "debug"', 'level = "loud"') +
        '\n[sync]\nmax_batch = "many"\n',
    );
    const from = daemon.lines.length;
    Deno.kill(daemon.pid, "SIGHUP");
    const line = await daemon.waitForLog(/configuration reload failed/, {
      from,
    });
    assert.match(
      line,
      new RegExp(
        `^ERROR configuration reload failed, keeping the old configuration: ${path}: log\\.level: .* \\(and 1 more problem\\)$`,
      ),
    );
    // Still at debug, still syncing.
    await flap(rig, "up");
    await daemon.waitForLog(/^DEBUG link batch/, { from });
    assert.equal(
      daemon.lines.slice(from).filter((l) => /reload/.test(l)).length,
      2, // "SIGHUP: reloading the configuration" and the failure
      daemon.lines.slice(from).join("\n"),
    );
    assert.equal(daemon.exited, false);
  },
);

rigTest(
  "log level: CONFIG_DB LOGGER|portsyncd LOGLEVEL changes what the running daemon logs",
  async (rig) => {
    await rig.server.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
    const daemon = await rig.startReady();
    let from = daemon.lines.length;
    await rig.config.hset("LOGGER|portsyncd", { LOGLEVEL: "NOTICE" });
    await daemon.waitForLog(
      /^NOTICE log level notice \(was debug\), from CONFIG_DB LOGGER\|portsyncd$/,
      { from },
    );
    from = daemon.lines.length;
    await flap(rig, "up");
    await flap(rig, "down");
    assert.deepEqual(linesAt(daemon, "DEBUG", from), []);
    assert.deepEqual(linesAt(daemon, "INFO", from), []);

    await rig.config.hset("LOGGER|portsyncd", { LOGLEVEL: "debug" });
    await daemon.waitForLog(/^NOTICE log level debug \(was notice\)/, {
      from,
    });
    from = daemon.lines.length;
    await flap(rig, "up");
    await daemon.waitForLog(/^DEBUG link batch/, { from });

    // Unknown: one line, and the level falls back to the file's (debug).
    await rig.config.hset("LOGGER|portsyncd", { LOGLEVEL: "ERROR" });
    await daemon.waitForLog(/^NOTICE log level error \(was debug\)/, { from });
    from = daemon.lines.length;
    await rig.config.hset("LOGGER|portsyncd", { LOGLEVEL: "LOUD" });
    await daemon.waitForLog(
      /^WARN CONFIG_DB LOGGER\|portsyncd LOGLEVEL: unknown level ignored value=LOUD/,
      { from },
    );
    await daemon.waitForLog(
      /^NOTICE log level debug \(was error\), from the configuration$/,
      { from },
    );
    await rig.config.hset("LOGGER|portsyncd", { LOGLEVEL: "LOUD", other: "x" });
    await flap(rig, "down");
    await daemon.waitForLog(/^DEBUG link batch/, { from });
    assert.equal(
      daemon.lines.slice(from).filter((l) => /unknown level/.test(l)).length,
      1,
    );
  },
);

rigTest(
  "log destination: syslog datagrams <PRI>portsyncd[PID]: on a test socket, nothing on stderr",
  async (rig) => {
    const receiver = await bindSyslogReceiver();
    let daemon: DaemonProcess | null = null;
    try {
      daemon = await startDaemon({
        dbConfigPath: rig.server.dbConfigPath,
        config: `[log]\nlevel = "info"\ndestination = "syslog"\n` +
          `syslog_socket = "${receiver.path}"\n` +
          `[netlink]\nnamespace = "${rig.ns.name}"\n`,
      });
      const pid = daemon.pid;
      await waitFor(
        "the started line on the syslog socket",
        () =>
          receiver.drain().includes(
            `<30>portsyncd[${pid}]: INFO portsyncd started`,
          ) ||
          receiver.datagrams.some((d) =>
            d.startsWith(`<30>portsyncd[${pid}]: INFO portsyncd started `)
          ),
      );
      // An error: a reload of an invalid file.
      const path = await configPath(daemon);
      await Deno.writeTextFile(path, "[log]\nlevel = 3\n");
      Deno.kill(pid, "SIGHUP");
      await waitFor(
        "the reload failure at <27> (daemon.err)",
        () =>
          receiver.drain().some((d) =>
            d.startsWith(
              `<27>portsyncd[${pid}]: ERROR configuration reload failed`,
            )
          ),
      );
      assert.ok(
        !daemon.lines.some((line) => /portsyncd started|reload/.test(line)),
        daemon.lines.join("\n"),
      );
      const { code } = await daemon.stop("SIGTERM");
      assert.equal(code, 0);
    } finally {
      await daemon?.stop("SIGKILL");
      await receiver.close();
    }
  },
);
