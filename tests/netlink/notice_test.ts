import assert from "node:assert/strict";
import {
  concatMessages,
  decodeNotices,
  type DecodeStats,
  encodeLinkMessage,
  encodeMessage,
  NLM_F_DUMP_INTR,
  NLM_F_MULTI,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
} from "../../src/netlink/mod.ts";

function errorMessage(seq: number, errno: number): Uint8Array {
  const payload = new Uint8Array(20);
  new DataView(payload.buffer).setInt32(0, -errno, true);
  return encodeMessage({ type: NLMSG_ERROR, flags: 0, seq, payload });
}

Deno.test("decodeNotices keeps arrival order and skips ACKs and noise", () => {
  const datagram = concatMessages([
    encodeLinkMessage({ name: "Ethernet0", ifindex: 2 }, { seq: 9, pid: 5 }),
    encodeMessage({ type: NLMSG_NOOP, flags: 0, seq: 9 }),
    errorMessage(9, 0),
    errorMessage(9, 16),
    encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 9, pid: 5 }),
  ]);
  const notices = decodeNotices(datagram, { portId: 5 });
  assert.deepEqual(notices.map((n) => n.kind), ["link", "error", "dump_done"]);
  assert.deepEqual(notices[1], {
    kind: "error",
    seq: 0,
    errno: 16,
    name: "EBUSY",
  });
  assert.deepEqual(notices[2], { kind: "dump_done", seq: 9 });
});

Deno.test("decodeNotices zeroes the seq of messages from other ports", () => {
  const datagram = encodeLinkMessage({ name: "Ethernet0" }, {
    seq: 1234,
    pid: 999,
  });
  const [notice] = decodeNotices(datagram, { portId: 5 });
  assert.equal(notice.kind === "link" && notice.seq, 0);
  const [kept] = decodeNotices(datagram);
  assert.equal(kept.kind === "link" && kept.seq, 1234);
});

Deno.test("decodeNotices skips and counts bad messages, keeps good ones", () => {
  const bad = encodeLinkMessage({ name: "x" });
  bad.fill(0, 16 + 16);
  const stats: DecodeStats = { decodeErrors: 0, dumpInterrupted: 0 };
  const datagram = concatMessages([
    encodeLinkMessage({ name: "Ethernet0" }, {
      messageFlags: NLM_F_DUMP_INTR,
    }),
    bad,
    encodeLinkMessage({ name: "Ethernet4" }),
    new Uint8Array(6),
  ]);
  const notices = decodeNotices(datagram, { stats });
  assert.deepEqual(
    notices.map((n) => n.kind === "link" ? n.event.name : n.kind),
    ["Ethernet0", "Ethernet4"],
  );
  assert.deepEqual(stats, { decodeErrors: 2, dumpInterrupted: 1 });
});
