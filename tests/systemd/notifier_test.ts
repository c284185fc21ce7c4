import assert from "node:assert/strict";
import { SystemdNotifier } from "../../src/systemd/notifier.ts";
import { NotifySocketError } from "../../src/systemd/protocol.ts";
import { listenNotify } from "./listener.ts";

Deno.test("SystemdNotifier: no NOTIFY_SOCKET, no notifier", () => {
  assert.equal(SystemdNotifier.open(undefined), null);
  assert.equal(SystemdNotifier.open(""), null);
});

Deno.test("SystemdNotifier: a bad NOTIFY_SOCKET is a NotifySocketError", () => {
  assert.throws(() => SystemdNotifier.open("relative"), NotifySocketError);
});

for (const kind of ["path", "abstract"] as const) {
  Deno.test(`SystemdNotifier: datagrams reach a ${kind} socket`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "psd-notify-" });
    const name = kind === "path"
      ? `${dir}/notify`
      : `@psd-notify-${Deno.pid}-${crypto.randomUUID()}`;
    const listener = listenNotify(name);
    const notifier = SystemdNotifier.open(name);
    try {
      assert.ok(notifier !== null);
      assert.equal(notifier.send("READY=1\nSTATUS=up"), true);
      assert.equal(notifier.send("WATCHDOG=1"), true);
      await listener.waitFor(/^WATCHDOG=1$/);
      assert.deepEqual(listener.messages.map((m) => m.text), [
        "READY=1\nSTATUS=up",
        "WATCHDOG=1",
      ]);
    } finally {
      notifier?.close();
      await listener.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("SystemdNotifier: nobody listening is a false send, not a throw", async () => {
  const dir = await Deno.makeTempDir({ prefix: "psd-notify-" });
  const notifier = SystemdNotifier.open(`${dir}/nobody`);
  try {
    assert.equal(notifier?.send("READY=1"), false);
    assert.equal(notifier?.lastError?.code, "ENOENT");
    notifier?.close();
    assert.equal(notifier?.send("READY=1"), false);
  } finally {
    notifier?.close();
    await Deno.remove(dir, { recursive: true });
  }
});
