import assert from "node:assert/strict";
import {
  concatMessages,
  decodeErrorPayload,
  encodeMessage,
  iterateMessages,
  NetlinkDecodeError,
  NLMSG_DONE,
  parseMessages,
} from "../../src/netlink/mod.ts";
import { DATAGRAM_FIXTURES } from "./fixtures.ts";

function assertDecodeError(fn: () => unknown, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof NetlinkDecodeError, String(error));
    assert.match(error.reason, reason);
    return true;
  });
}

Deno.test("parseMessages frames every captured datagram", () => {
  assert.ok(DATAGRAM_FIXTURES.length > 0);
  for (const datagram of DATAGRAM_FIXTURES) {
    const messages = parseMessages(datagram.bytes);
    assert.equal(messages.length, datagram.messageCount, datagram.label);
  }
});

Deno.test("encodeMessage round-trips header fields and pads to 4 bytes", () => {
  const bytes = encodeMessage({
    type: 16,
    flags: 0x2,
    seq: 0xfffffffe,
    pid: 77,
    payload: new Uint8Array([1, 2, 3]),
  });
  assert.equal(bytes.length, 20);
  assert.equal(new DataView(bytes.buffer).getUint32(0, true), 19);
  const [message] = parseMessages(bytes);
  assert.deepEqual(
    [message.type, message.flags, message.seq, message.pid],
    [16, 2, 0xfffffffe, 77],
  );
  assert.deepEqual([...message.payload], [1, 2, 3]);
});

Deno.test("parseMessages accepts an unpadded last message", () => {
  const bytes = encodeMessage({
    type: 1,
    flags: 0,
    seq: 1,
    payload: new Uint8Array([9]),
  });
  assert.equal(parseMessages(bytes.subarray(0, 17)).length, 1);
});

Deno.test("parseMessages reads a batch in order", () => {
  const batch = concatMessages([
    encodeMessage({ type: 16, flags: 2, seq: 5 }),
    encodeMessage({ type: NLMSG_DONE, flags: 2, seq: 5 }),
  ]);
  assert.deepEqual(parseMessages(batch).map((m) => m.type), [16, NLMSG_DONE]);
  assert.deepEqual(parseMessages(batch).map((m) => m.offset), [0, 16]);
});

Deno.test("parseMessages rejects a truncated header", () => {
  const bytes = encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 1 });
  assertDecodeError(() => parseMessages(bytes.subarray(0, 10)), /truncated/);
});

Deno.test("parseMessages rejects nlmsg_len beyond the buffer", () => {
  const bytes = encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 1 });
  new DataView(bytes.buffer).setUint32(0, 64, true);
  assertDecodeError(() => parseMessages(bytes), /runs past/);
});

Deno.test("parseMessages rejects nlmsg_len shorter than the header", () => {
  for (const length of [0, 1, 15]) {
    const bytes = encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 1 });
    new DataView(bytes.buffer).setUint32(0, length, true);
    assertDecodeError(() => parseMessages(bytes), /shorter than the header/);
  }
});

Deno.test("iterateMessages yields good messages before a bad one", () => {
  const batch = concatMessages([
    encodeMessage({ type: 16, flags: 0, seq: 1 }),
    new Uint8Array(8),
  ]);
  const seen: number[] = [];
  assert.throws(() => {
    for (const message of iterateMessages(batch)) seen.push(message.seq);
  }, NetlinkDecodeError);
  assert.deepEqual(seen, [1]);
});

Deno.test("decodeErrorPayload reads errno and the request header", () => {
  const payload = new Uint8Array(20);
  const view = new DataView(payload.buffer);
  view.setInt32(0, -16, true);
  view.setUint16(8, 18, true);
  view.setUint32(12, 99, true);
  assert.deepEqual(decodeErrorPayload(payload), {
    errno: 16,
    request: { type: 18, seq: 99 },
  });
  assert.equal(decodeErrorPayload(new Uint8Array(4)).errno, 0);
  assertDecodeError(() => decodeErrorPayload(new Uint8Array(3)), /nlmsgerr/);
});
