/**
 * The syslog output on a real AF_UNIX datagram socket: each record is one
 * datagram with the right <PRI>, ident and pid; an unusable socket is one
 * clear error; a socket that goes away sends records to the fallback.
 * @module
 */

import assert from "node:assert/strict";
import { createLogger, type LogLevel } from "../../src/log/mod.ts";
import { openSyslog, SyslogUnavailable } from "../../src/log/syslog.ts";
import { bindSyslogReceiver } from "./syslog_receiver.ts";

Deno.test("syslog: records arrive as <PRI>portsyncd[PID]: datagrams, facility daemon", async () => {
  const receiver = await bindSyslogReceiver();
  const output = openSyslog(receiver.path);
  try {
    const log = createLogger("debug", { output });
    log.error("boom", { port: "Ethernet0" });
    log.warn("w");
    log.notice("n");
    log.info("i");
    log.debug("d");
    assert.deepEqual(receiver.drain(), [
      `<27>portsyncd[${Deno.pid}]: ERROR boom port=Ethernet0`,
      `<28>portsyncd[${Deno.pid}]: WARN w`,
      `<29>portsyncd[${Deno.pid}]: NOTICE n`,
      `<30>portsyncd[${Deno.pid}]: INFO i`,
      `<31>portsyncd[${Deno.pid}]: DEBUG d`,
    ]);
  } finally {
    output.close?.();
    await receiver.close();
  }
});

Deno.test("syslog: a missing path or a non-socket is one line naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-syslog-" });
  try {
    assert.throws(
      () => openSyslog(`${dir}/absent`),
      (error: unknown) =>
        error instanceof SyslogUnavailable &&
        error.message === `syslog socket ${dir}/absent: does not exist`,
    );
    await Deno.writeTextFile(`${dir}/file`, "");
    assert.throws(
      () => openSyslog(`${dir}/file`),
      (error: unknown) =>
        error instanceof SyslogUnavailable &&
        error.message === `syslog socket ${dir}/file: not a socket`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("syslog: when the socket goes away, records go to the fallback output", async () => {
  const receiver = await bindSyslogReceiver();
  const fallback: [LogLevel, string][] = [];
  const output = openSyslog(receiver.path, {
    fallback: { write: (level, text) => fallback.push([level, text]) },
  });
  try {
    output.write("info", "before");
    assert.deepEqual(receiver.drain(), [
      `<30>portsyncd[${Deno.pid}]: INFO before`,
    ]);
    await receiver.close(); // the socket file is gone: sendto fails
    output.write("error", "after");
    assert.deepEqual(fallback, [["error", "after"]]);
  } finally {
    output.close?.();
    await receiver.close();
  }
});

Deno.test({
  name:
    "syslog: without read permission on its path (the narrow set) it opens, and a missing socket shows at the first send",
  permissions: { ffi: true, read: false },
  fn() {
    const fallback: string[] = [];
    const output = openSyslog("/nonexistent-portsyncd/log", {
      fallback: { write: (level, text) => fallback.push(`${level} ${text}`) },
    });
    try {
      output.write("warn", "w");
      assert.deepEqual(fallback, ["warn w"]);
    } finally {
      output.close?.();
    }
  },
});
