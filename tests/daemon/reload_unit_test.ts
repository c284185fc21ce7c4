/**
 * The reload and the log level's sources without a daemon: precedence of
 * CONFIG_DB over the settings, unknown values once, the reload's lines for
 * a changed, an unchanged, a restart-needing and an invalid file, and the
 * destination switched live.
 * @module
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/log/mod.ts";
import { LogLevelControl } from "../../src/daemon/log_level.ts";
import { changedSettings, createReloader } from "../../src/daemon/reload.ts";
import {
  loadSettings,
  type SettingsSource,
} from "../../src/config/settings.ts";
import { validateConfig } from "../../src/config/schema.ts";
import type { AlertRule } from "../../src/alerting/types.ts";
import { bindSyslogReceiver } from "../log/syslog_receiver.ts";

Deno.test("log level: CONFIG_DB wins while set; absent or unknown falls back to the settings; unknown logged once", () => {
  const lines: string[] = [];
  const log = createLogger("debug", { sink: (line) => lines.push(line) });
  const control = new LogLevelControl(log, "info");
  assert.equal(log.level, "info");
  control.setFromConfigDb("DEBUG");
  assert.equal(log.level, "debug");
  control.setBase("warn"); // a reload: CONFIG_DB still wins
  assert.equal(log.level, "debug");
  control.setFromConfigDb("bogus");
  control.setFromConfigDb("bogus");
  assert.equal(log.level, "warn");
  assert.equal(
    lines.filter((line) => line.includes("unknown level ignored")).length,
    1,
  );
  control.setFromConfigDb(undefined);
  control.setFromConfigDb("bogus"); // a new outage of the same value: again
  assert.equal(
    lines.filter((line) => line.includes("unknown level ignored")).length,
    2,
  );
  control.setFromConfigDb("crit");
  assert.equal(log.level, "error");
  assert.deepEqual(lines.slice(0, 2), [
    "NOTICE log level debug (was info), from CONFIG_DB LOGGER|portsyncd",
    "NOTICE log level warn (was debug), from the configuration",
  ]);
  // Between two levels that both hide notices, the change is not written.
  assert.match(lines.at(-1)!, /^WARN .* unknown level ignored value=bogus/);
});

Deno.test("reload: changedSettings names section.key of what differs", () => {
  const a = validateConfig({}, { source: "a" });
  const b = validateConfig({
    log: { level: "debug" },
    metrics: { listen: "127.0.0.1:9464" },
  }, { source: "b" });
  assert.deepEqual(changedSettings(a, a), []);
  assert.deepEqual(changedSettings(a, b), ["log.level", "metrics.listen"]);
});

async function withConfigFile(
  body: (path: string, source: SettingsSource) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-reload-" });
  try {
    const path = `${dir}/portsyncd.conf`;
    await Deno.writeTextFile(path, '[log]\nlevel = "info"\n');
    await body(path, {
      config: path,
      configExplicit: true,
      dbConfig: `${dir}/absent.json`,
      dbConfigExplicit: false,
      store: "memory",
      logLevel: null,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("reload: applies level, rules and destination; names restart-only settings; an invalid file changes nothing", () =>
  withConfigFile(async (path, source) => {
    const lines: string[] = [];
    const log = createLogger("info", { sink: (line) => lines.push(line) });
    const levels = new LogLevelControl(log, "info");
    const ruleSets: AlertRule[][] = [];
    const reload = createReloader(await loadSettings(source), {
      source,
      log,
      levels,
      setFileRules: (rules) => ruleSets.push(rules),
    });

    await reload();
    assert.deepEqual(lines, [
      `NOTICE configuration reloaded from ${path} changed=nothing`,
    ]);

    await Deno.writeTextFile(
      path,
      '[log]\nlevel = "notice"\n[metrics]\nlisten = "127.0.0.1:9464"\n' +
        '[[alerting.rules]]\nid = "r"\nmetric = "ports_oper_down"\n' +
        'condition = "above"\nthreshold = 0\n',
    );
    lines.length = 0;
    await reload();
    assert.equal(log.level, "notice");
    assert.deepEqual(ruleSets.map((rules) => rules.map((rule) => rule.id)), [
      ["r"],
    ]);
    assert.deepEqual(lines, [
      "NOTICE log level notice (was info), from the configuration",
      `NOTICE configuration reloaded from ${path} changed=log.level,alerting.rules`,
      "WARN configuration reload: metrics.listen changed but needs a restart; the old value is kept",
    ]);

    // The kept listener is still the old one: reported again, rules unchanged.
    lines.length = 0;
    await reload();
    assert.equal(ruleSets.length, 1);
    assert.deepEqual(lines.slice(-1), [
      "WARN configuration reload: metrics.listen changed but needs a restart; the old value is kept",
    ]);

    await Deno.writeTextFile(
      path,
      '[log]\nlevel = "loud"\n[sync]\nmax_batch = 0\n[store]\nnope = 1\n',
    );
    lines.length = 0;
    await reload();
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      new RegExp(
        `^ERROR configuration reload failed, keeping the old configuration: ${path}: .* \\(and 2 more problems\\)$`,
      ),
    );
    assert.equal(log.level, "notice");

    // Destination: syslog on a test socket.
    const receiver = await bindSyslogReceiver();
    try {
      await Deno.writeTextFile(
        path,
        `[log]\nlevel = "notice"\ndestination = "syslog"\nsyslog_socket = "${receiver.path}"\n`,
      );
      lines.length = 0;
      await reload();
      assert.deepEqual(lines, []);
      assert.deepEqual(receiver.drain(), [
        `<29>portsyncd[${Deno.pid}]: NOTICE configuration reloaded from ${path} changed=log.destination,log.syslog_socket,alerting.rules`,
      ]);
    } finally {
      log.setOutput({ write: () => {} }); // closes the syslog socket
      await receiver.close();
    }
  }));
