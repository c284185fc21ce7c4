/**
 * Log levels: SONiC's names mapped onto ours, syslog priorities, and the
 * logger's threshold, notice level, formatting and live changes.
 * @module
 */

import assert from "node:assert/strict";
import {
  LOG_LEVELS,
  parseSonicLevel,
  syslogPriority,
} from "../../src/log/levels.ts";
import {
  createLogger,
  formatRecord,
  type LogLevel,
} from "../../src/log/mod.ts";
import { formatSyslog, sockaddrUnix } from "../../src/log/syslog.ts";
import { validateConfig } from "../../src/config/schema.ts";
import { ConfigError } from "../../src/config/errors.ts";

Deno.test("levels: most severe first, notice between warn and info", () => {
  assert.deepEqual([...LOG_LEVELS], [
    "error",
    "warn",
    "notice",
    "info",
    "debug",
  ]);
});

Deno.test("levels: SONiC swss names map case-insensitively; unknown is null", () => {
  const cases: [string, LogLevel | null][] = [
    ["EMERG", "error"],
    ["ALERT", "error"],
    ["CRIT", "error"],
    ["ERROR", "error"],
    ["WARN", "warn"],
    ["WARNING", "warn"],
    ["NOTICE", "notice"],
    ["INFO", "info"],
    ["DEBUG", "debug"],
    ["debug", "debug"],
    ["Notice", "notice"],
    [" INFO ", "info"],
    ["", null],
    ["LOUD", null],
    ["SAI_LOG_LEVEL_INFO", null],
    ["toString", null],
    ["__proto__", null],
  ];
  for (const [value, want] of cases) {
    assert.equal(parseSonicLevel(value), want, JSON.stringify(value));
  }
});

Deno.test("levels: syslog PRI is facility daemon (3) * 8 + severity", () => {
  assert.equal(syslogPriority("error"), 27);
  assert.equal(syslogPriority("warn"), 28);
  assert.equal(syslogPriority("notice"), 29);
  assert.equal(syslogPriority("info"), 30);
  assert.equal(syslogPriority("debug"), 31);
  assert.equal(syslogPriority("info", { facility: 16 }), 134);
});

Deno.test("logger: writes its level and above, notice included; setLevel changes it live", () => {
  const lines: string[] = [];
  const log = createLogger("notice", { sink: (line) => lines.push(line) });
  log.error("e");
  log.warn("w");
  log.notice("n", { key: "a b" });
  log.info("i");
  log.debug("d");
  assert.deepEqual(lines, ["ERROR e", "WARN w", 'NOTICE n key="a b"']);
  assert.equal(log.enabled("notice"), true);
  assert.equal(log.enabled("info"), false);
  log.setLevel("debug");
  assert.equal(log.level, "debug");
  log.debug("d2");
  log.setLevel("error");
  log.warn("hidden");
  assert.deepEqual(lines.slice(3), ["DEBUG d2"]);
});

Deno.test("logger: setOutput sends records with their level and closes the old output", () => {
  const got: string[] = [];
  let closed = 0;
  const log = createLogger("info", {
    output: { write: () => {}, close: () => closed++ },
  });
  log.setOutput({ write: (level, text) => got.push(`${level}|${text}`) });
  log.info("x", { n: 1 });
  assert.deepEqual(got, ["info|x n=1"]);
  assert.equal(closed, 1);
});

Deno.test("format: fields quoted when they hold spaces, quotes or =", () => {
  assert.equal(formatRecord("m"), "m");
  assert.equal(
    formatRecord("m", { a: "x", b: "y z", c: 'q"', d: "k=v", e: 3, f: null }),
    'm a=x b="y z" c="q\\"" d="k=v" e=3 f=null',
  );
});

Deno.test("format: a syslog datagram is <PRI>ident[pid]: LEVEL text", () => {
  assert.equal(
    formatSyslog("error", "boom k=1", { ident: "portsyncd", pid: 42 }),
    "<27>portsyncd[42]: ERROR boom k=1",
  );
  assert.equal(
    formatSyslog("info", "x", { ident: "portsyncd", pid: 7 }),
    "<30>portsyncd[7]: INFO x",
  );
});

Deno.test("syslog: sockaddr_un for a path and an abstract name", () => {
  const path = sockaddrUnix("/dev/log");
  assert.deepEqual([...path.subarray(0, 2)], [1, 0]);
  assert.equal(new TextDecoder().decode(path.subarray(2)), "/dev/log\0");
  const abstract = sockaddrUnix("@sys");
  assert.equal(new TextDecoder().decode(abstract.subarray(2)), "\0sys");
  assert.throws(() => sockaddrUnix("/" + "x".repeat(200)), /longer than 107/);
});

Deno.test("config: [log] destination and syslog_socket, with defaults and one-line errors", () => {
  const defaults = validateConfig({}, { source: "a.toml" });
  assert.deepEqual(defaults.log, {
    level: "info",
    destination: "stderr",
    syslog_socket: "/dev/log",
  });
  const set = validateConfig({
    log: { level: "notice", destination: "syslog", syslog_socket: "/tmp/s" },
  }, { source: "a.toml" });
  assert.equal(set.log.level, "notice");
  assert.equal(set.log.destination, "syslog");
  for (
    const [log, pattern] of [
      [{ destination: "file" }, /a\.toml: log\.destination/],
      [
        { syslog_socket: "dev/log" },
        /a\.toml: log\.syslog_socket: must be an absolute path/,
      ],
      [{ level: "trace" }, /a\.toml: log\.level/],
    ] as const
  ) {
    assert.throws(
      () => validateConfig({ log }, { source: "a.toml" }),
      (error: unknown) =>
        error instanceof ConfigError && pattern.test(error.problems[0]),
    );
  }
});
