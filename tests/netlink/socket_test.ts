import assert from "node:assert/strict";
import {
  LinkSocket,
  type NetlinkNotice,
  NotNetnsError,
  RTM_NEWLINK,
} from "../../src/netlink/mod.ts";
import { SyscallError } from "../../ffi/mod.ts";
import { netnsSkipReason, withVeth } from "../helpers/netns.ts";
import { linkEvents, receiveUntil } from "./wait.ts";

const SKIP = netnsSkipReason();
const ignore = SKIP !== null;
if (SKIP !== null) console.warn(`netlink socket tests skipped: ${SKIP}`);

function threadNetns(): string {
  return Deno.readLinkSync("/proc/thread-self/ns/net");
}

function isDumpDone(seq: number): (n: readonly NetlinkNotice[]) => boolean {
  return (notices) =>
    notices.some((n) => n.kind === "dump_done" && n.seq === seq);
}

Deno.test({
  name: "socket: dump lists the veth pair, then dump_done",
  ignore,
  fn: () =>
    withVeth(async (ns) => {
      const before = threadNetns();
      const socket = LinkSocket.open({ netns: ns.name });
      try {
        assert.equal(threadNetns(), before, "thread left in the namespace");
        const seq = socket.requestDump();
        const notices = await receiveUntil(socket, isDumpDone(seq));
        const names = linkEvents(notices).map((event) => event.name).sort();
        assert.deepEqual(names, ["Ethernet0", "Ethernet4", "lo"]);
        for (const notice of notices) {
          assert.ok(notice.kind === "link" || notice.kind === "dump_done");
          assert.equal(notice.seq, seq);
        }
        const [ethernet0] = linkEvents(notices, "Ethernet0");
        assert.equal(ethernet0.type, "newlink");
        assert.equal(ethernet0.kind, "veth");
        assert.equal(ethernet0.admin, "down");
        assert.equal(ethernet0.mtu, 1500);
        assert.match(ethernet0.address ?? "", /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        assert.equal(socket.decodeErrors, 0);
      } finally {
        socket.close();
      }
    }),
});

Deno.test({
  name: "socket: up, down, mtu and del arrive as events",
  ignore,
  fn: () =>
    withVeth(async (ns) => {
      const socket = LinkSocket.open({ netns: ns.name });
      try {
        await ns.ip("link", "set", "Ethernet0", "up");
        let notices = await receiveUntil(socket, (n) =>
          linkEvents(n, "Ethernet0").some((e) => e.admin === "up"));
        const up = linkEvents(notices, "Ethernet0").at(-1)!;
        assert.deepEqual([up.admin, up.oper, up.operstate], [
          "up",
          "down",
          "lowerlayerdown",
        ]);
        assert.ok(notices.every((n) =>
          n.kind !== "link" || n.seq === 0
        ));

        await ns.ip("link", "set", "Ethernet4", "up");
        notices = await receiveUntil(socket, (n) =>
          linkEvents(n, "Ethernet0").some((e) => e.oper === "up"));
        const running = linkEvents(notices, "Ethernet0").at(-1)!;
        assert.deepEqual([running.admin, running.oper, running.operstate], [
          "up",
          "up",
          "up",
        ]);

        await ns.ip("link", "set", "Ethernet0", "mtu", "9000");
        notices = await receiveUntil(socket, (n) =>
          linkEvents(n, "Ethernet0").some((e) =>
            e.mtu === 9000
          ));
        assert.equal(linkEvents(notices, "Ethernet0").at(-1)!.admin, "up");

        await ns.ip("link", "set", "Ethernet0", "down");
        notices = await receiveUntil(socket, (n) =>
          linkEvents(n, "Ethernet0").some((e) =>
            e.admin === "down"
          ));
        const down = linkEvents(notices, "Ethernet0").at(-1)!;
        assert.deepEqual([down.admin, down.oper, down.mtu], [
          "down",
          "down",
          9000,
        ]);

        await ns.ip("link", "del", "Ethernet0");
        notices = await receiveUntil(socket, (n) =>
          linkEvents(n, "Ethernet0").some((e) =>
            e.type === "dellink"
          ) &&
          linkEvents(n, "Ethernet4").some((e) =>
            e.type === "dellink"
          ));
        const deleted = linkEvents(notices, "Ethernet0").at(-1)!;
        assert.equal(deleted.type, "dellink");
        assert.equal(deleted.master, null);
      } finally {
        socket.close();
      }
    }),
});

Deno.test({
  name: "socket: overflow (ENOBUFS) is reported and a re-dump converges",
  ignore,
  fn: () =>
    withVeth(async (ns) => {
      await ns.ip("link", "set", "Ethernet4", "up");
      const socket = LinkSocket.open({
        netns: ns.name,
        receiveBufferBytes: 4096,
      });
      try {
        assert.ok(socket.receiveBufferBytes <= 16384);
        const lines: string[] = [];
        for (let i = 0; i < 1000; i++) {
          lines.push("link set Ethernet0 up", "link set Ethernet0 down");
        }
        lines.push("link set Ethernet0 mtu 9000", "link set Ethernet0 up");
        await ns.ipBatch(lines);
        const notices = await receiveUntil(
          socket,
          (n) => n.some((notice) => notice.kind === "overflow"),
        );
        assert.ok(notices.some((n) => n.kind === "overflow"));
        assert.ok(socket.overflows >= 1);

        const seq = socket.requestDump();
        const dump = await receiveUntil(socket, isDumpDone(seq));
        const final = dump.filter((n) => n.kind === "link" && n.seq === seq);
        const ethernet0 = linkEvents(final, "Ethernet0");
        assert.equal(ethernet0.length, 1);
        assert.deepEqual(
          [ethernet0[0].admin, ethernet0[0].oper, ethernet0[0].mtu],
          ["up", "up", 9000],
        );
        const shown = JSON.parse(
          await ns.ip("-j", "link", "show", "Ethernet0"),
        )[0];
        assert.equal(shown.mtu, ethernet0[0].mtu);
        assert.equal(shown.operstate.toLowerCase(), ethernet0[0].operstate);
      } finally {
        socket.close();
      }
    }),
});

Deno.test({
  name: "socket: abort resolves a pending receive with [] quickly",
  ignore,
  fn: () =>
    withVeth(async (ns) => {
      const socket = LinkSocket.open({ netns: ns.name });
      try {
        const controller = new AbortController();
        const pending = socket.receive({ signal: controller.signal });
        const timer = setTimeout(() => controller.abort(), 50);
        const started = performance.now();
        const notices = await pending;
        clearTimeout(timer);
        assert.deepEqual(notices, []);
        assert.ok(performance.now() - started < 50 + 250);
      } finally {
        socket.close();
      }
    }),
});

Deno.test({
  name: "socket: close is idempotent and safe while a receive is pending",
  ignore,
  fn: () =>
    withVeth(async (ns) => {
      const socket = LinkSocket.open({ netns: ns.name });
      const pending = socket.receive();
      await assert.rejects(() => socket.receive(), /already pending/);
      socket.close();
      socket.close();
      assert.deepEqual(await pending, []);
      assert.deepEqual(await socket.receive(), []);
      assert.throws(() => socket.requestDump(), /closed/);
      socket.close();
    }),
});

Deno.test({
  name: "socket: a second dump before dump_done is answered with EBUSY",
  ignore,
  fn: () =>
    withVeth(async (ns) => {
      await ns.ipBatch(
        Array.from(
          { length: 40 },
          (_, i) => `link add v${i}a type veth peer name v${i}b`,
        ),
      );
      const socket = LinkSocket.open({ netns: ns.name });
      try {
        const first = socket.requestDump();
        const second = socket.requestDump();
        const notices = await receiveUntil(socket, isDumpDone(first));
        const errors = notices.filter((n) => n.kind === "error");
        assert.deepEqual(errors, [{
          kind: "error",
          seq: second,
          errno: 16,
          name: "EBUSY",
        }]);
        assert.ok(linkEvents(notices).length >= 80);
        assert.equal(RTM_NEWLINK, 16);
      } finally {
        socket.close();
      }
    }),
});

Deno.test({
  name: "socket: a bad netns fails typed and leaves the thread where it was",
  ignore,
  fn: () => {
    const before = threadNetns();
    assert.throws(
      () => LinkSocket.open({ netns: "psd-nl-does-not-exist" }),
      (error: unknown) => {
        assert.ok(error instanceof SyscallError);
        assert.equal(error.code, "ENOENT");
        assert.equal(error.call, "open");
        return true;
      },
    );
    assert.throws(
      () => LinkSocket.open({ netns: "/proc/self/ns/uts" }),
      (error: unknown) =>
        error instanceof NotNetnsError &&
        error.message === "/proc/self/ns/uts is not a network namespace",
    );
    assert.equal(threadNetns(), before);
  },
});
